<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="//line"><xsl:number level="any"/>,<xsl:number level="any" count="line|customer" from="order"/>,<xsl:number level="any" count="price"/>;</xsl:for-each></xsl:template>
</xsl:stylesheet>
