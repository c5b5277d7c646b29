<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="/">
<xsl:text>0=</xsl:text><xsl:value-of select="id('o2')/@customer"/><xsl:text>&#10;</xsl:text>
<xsl:text>1=</xsl:text><xsl:value-of select="count(id('o1 o3'))"/><xsl:text>&#10;</xsl:text>
<xsl:text>2=</xsl:text><xsl:value-of select="count(id('o1 o1'))"/><xsl:text>&#10;</xsl:text>
<xsl:text>3=</xsl:text><xsl:value-of select="name(id('c1'))"/><xsl:text>&#10;</xsl:text>
<xsl:text>4=</xsl:text><xsl:value-of select="count(id('missing'))"/><xsl:text>&#10;</xsl:text>
<xsl:text>5=</xsl:text><xsl:value-of select="count(id(//order/@customer))"/><xsl:text>&#10;</xsl:text>
<xsl:text>6=</xsl:text><xsl:value-of select="id('c2')/name"/><xsl:text>&#10;</xsl:text>
</xsl:for-each></xsl:template>
</xsl:stylesheet>
