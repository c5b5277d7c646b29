<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/">
single-from-self: <xsl:for-each select="//chap|//p"><xsl:number level="single" count="chap|p" from="chap"/>,</xsl:for-each>
single-from-sec: <xsl:for-each select="//p"><xsl:number level="single" count="p|sec" from="sec"/>,</xsl:for-each>
</xsl:template>
</xsl:stylesheet>
