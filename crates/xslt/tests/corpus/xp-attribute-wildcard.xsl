<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="/">
<xsl:text>0=</xsl:text><xsl:value-of select="count(//@*[. = 'c1'])"/><xsl:text>&#10;</xsl:text>
<xsl:text>1=</xsl:text><xsl:value-of select="name(//line[1]/@*[2])"/><xsl:text>&#10;</xsl:text>
<xsl:text>2=</xsl:text><xsl:value-of select="count(//line/@*[name()='qty'])"/><xsl:text>&#10;</xsl:text>
</xsl:for-each></xsl:template>
</xsl:stylesheet>
