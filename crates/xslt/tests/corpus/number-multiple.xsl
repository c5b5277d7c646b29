<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="//price"><xsl:number level="multiple" count="order|line" format="1.1 "/><xsl:number level="multiple" count="*" format="(a) "/>|</xsl:for-each></xsl:template>
</xsl:stylesheet>
