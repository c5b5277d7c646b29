<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/">
multiple-from-self: <xsl:for-each select="//chap|//p"><xsl:number level="multiple" count="chap|p|sec" from="chap"/>,</xsl:for-each>
multiple-from-doc: <xsl:for-each select="//p"><xsl:number level="multiple" count="chap|p|sec" from="doc" format="1.a.i"/>,</xsl:for-each>
</xsl:template>
</xsl:stylesheet>
