<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/">
any-from-self: <xsl:for-each select="//chap|//p"><xsl:number level="any" count="chap|p" from="chap"/>,</xsl:for-each>
any-from-chap-count-p: <xsl:for-each select="//chap|//p"><xsl:number level="any" count="p" from="chap"/>,</xsl:for-each>
any-from-sec: <xsl:for-each select="//p"><xsl:number level="any" from="sec"/>,</xsl:for-each>
any-from-attr: <xsl:for-each select="//chap/@t"><xsl:number level="any" count="chap|@t" from="chap"/>,</xsl:for-each>
any-from-nothing: <xsl:for-each select="//p"><xsl:number level="any" from="nothing"/>,</xsl:for-each>
</xsl:template>
</xsl:stylesheet>
