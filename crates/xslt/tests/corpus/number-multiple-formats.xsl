<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="document('')//e"><xsl:number level="multiple" count="e" format="1.a.i "/><xsl:number level="multiple" count="e" format="I-"/><xsl:number level="multiple" count="e"/>|</xsl:for-each></xsl:template>
<d:d xmlns:d="urn:d"><e><e><e/><e><e/></e></e></e><e/></d:d></xsl:stylesheet>
