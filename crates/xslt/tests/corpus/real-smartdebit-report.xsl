<?xml version="1.0" encoding="ISO-8859-1"?>
<!-- From the SmartDebit sample workflow; its msxsl:script calls rewritten in XPath. -->
<xsl:stylesheet 
	version="1.0"
	xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
	xmlns:ms="urn:schemas-microsoft-com:xslt"
	xmlns:zynk="http://www.zynk.com">

	<xsl:param name="FailFile" />
	<xsl:param name="FullPath">/Company/Transactions/Transaction</xsl:param>

	<ms:script language ="C#" implements-prefix="zynk">
		public int CountNodes(XPathNodeIterator context, string xpath)
		{
			var rtnVal = 0;
			
			try
			{
				context.MoveNext();
				rtnVal = context.Current.Select(xpath).Count;
			} catch {}
			
			return rtnVal;
		}

		public string FormatDate(string data, string format)
		{
			var rtnVal = string.Empty;

			try
			{
				rtnVal = DateTime.Parse(data).ToString(format);
			}
			catch {}

			return rtnVal;
		}
	</ms:script>

	<xsl:variable name="SuccessCount" select="count(/Company/Transactions/Transaction)" />
	<xsl:variable name="FailCount" select="count(document($FailFile)/Company/Transactions/Transaction)" />
	<xsl:variable name="TotalCount" select="$SuccessCount + $FailCount" />

	<xsl:template match="/Company">

		<html>
			<style type="text/CSS">
				* {	font-family:verdana; }
				body,td,th { 	font-size: 62.5%; }
				h1 {font-size: 1.9em; padding: 10px; background-color: #ccc; font-weight:normal; color: #336699; font-family: Trebuchet MS}
				h2 {font-size: 1.6em; padding: 10px; background-color: #ccc; font-weight:normal; color: #225577; font-family: Trebuchet MS}
				h3 {font-size: 1.4em; font-weight:normal; color: #114477; font-family: Trebuchet MS}
				h4 {font-size: 1.2em; font-weight:normal; color: #336699; font-family: Trebuchet MS}
				h5 {font-size: 1.1em; margin-top:0; font-weight:normal; color: #336699; font-family: Trebuchet MS}
				table {width: 100%;}  
				td {padding: 2px; background-color: #DFDFDF;}
				th {padding: 2px; background-color: #090; color:white;}
				.item {padding: 2px; background-color: #EFEFEF; color: #666;}
				.blank {padding: 2px; background-color: white; color: #666;}
				a, h2 a:hover {text-decoration: none;}
				ul a, p a {color: black;}
				a:hover {text-decoration: underline;}
				p { float: right; margin-right: 5px; font-size: 90%}
				.description { visibility: hidden; display: none; font-size: 10px;}
			</style>
			
			<body>
				<h1><a name="top">Zynk Import Report</a></h1>

				<ul>

					<li>
						<strong><xsl:value-of select="$TotalCount"/></strong> Transactions Downloaded from SmartDebit
						<ul>
							<li><a href="#success"><strong><xsl:value-of select="$SuccessCount"/></strong> Transactions imported</a></li>
							<li><a href="#error"><strong><xsl:value-of select="$FailCount"/></strong> Transaction with errors</a></li>
						</ul>
					</li>
				</ul>
				
				<h1>Detailed Report</h1>
				<xsl:if test="$SuccessCount &gt; 0">
					<h2><a name="success">Transactions (<xsl:value-of select="$SuccessCount" /> Total)</a></h2>
				    <table>
					    <tr>
						  <th align="left">Type</th>
					      <th align="left">Account Reference</th>
						  <th align="left">Reference</th>
						  <th align="left">Date</th>
						  <th align="left">Details</th>
						  <th align="left">Amount</th>
					    </tr>
						<xsl:for-each select="Transactions/Transaction">
							<xsl:sort select="AccountReference"/>
							<tr>
								<td><xsl:value-of select="TransactionType"/></td>
								<td><xsl:value-of select="AccountReference"/></td>
								<td><xsl:value-of select="Reference"/></td>
								<td><xsl:value-of select="concat(substring(TransactionDate,9,2),'/',substring(TransactionDate,6,2),'/',substring(TransactionDate,1,4))" /></td>
								<td><xsl:value-of select="Details"/></td>
								<td><xsl:value-of select="format-number(NetAmount, '0.00')"/></td>
							</tr>
						</xsl:for-each>
				    </table>
					<p><a href="#top">Top</a></p>
				</xsl:if>

				<xsl:if test="$FailCount &gt; 0">
					<h2><a name="error">Failed Transactions (<xsl:value-of select="$FailCount" /> Total)</a></h2>
				    <table>
					    <tr>
						  <th align="left">Type</th>
					      <th align="left">Account Reference</th>
						  <th align="left">Reference</th>
						  <th align="left">Date</th>
						  <th align="left">Details</th>
						  <th align="left">Amount</th>
						  <th align="left">Errors</th>
					    </tr>
						<xsl:for-each select="document($FailFile)/Company/Transactions/Transaction">
							<xsl:sort select="AccountReference"/>
							<tr>
								<td><xsl:value-of select="TransactionType"/></td>
								<td><xsl:value-of select="AccountReference"/></td>
								<td><xsl:value-of select="Reference"/></td>
								<td><xsl:value-of select="concat(substring(TransactionDate,9,2),'/',substring(TransactionDate,6,2),'/',substring(TransactionDate,1,4))" /></td>
								<td><xsl:value-of select="Details"/></td>
								<td><xsl:value-of select="format-number(NetAmount, '0.00')"/></td>
								<td>
									<xsl:call-template name="OutputErrors">
										<xsl:with-param name="errors" select="Errors/Error" />
									</xsl:call-template>
								</td>
							</tr>
						</xsl:for-each>
				    </table>
					<p><a href="#top">Top</a></p>
				</xsl:if>

			</body>
		</html>
	</xsl:template>

	<xsl:template name="OutputErrors">
		<xsl:param name="errors" />

		<xsl:if test="count($errors) &gt; 0">
			<table>
				<xsl:for-each select="$errors">
					<tr>
						<td><xsl:value-of select="Description" /></td>
					</tr>
				</xsl:for-each>
			</table>
		</xsl:if>
	</xsl:template>
</xsl:stylesheet>