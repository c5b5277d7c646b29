<?xml version="1.0" encoding="utf-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
	
	<xsl:output method="xml" indent="yes"/>
  
	<xsl:template match="Company">
		<ArrayOfOrder>
			<xsl:for-each select="SalesOrders/SalesOrder">
				<Order>
					<ID><xsl:value-of select="Id"/></ID>
					<Status>Pending</Status>
				</Order>
			</xsl:for-each>
		</ArrayOfOrder>
	</xsl:template>
  
</xsl:stylesheet>