<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//order"><xsl:with-param name="sep" select="'; '"/></xsl:apply-templates></xsl:template>
<xsl:template match="order"><xsl:param name="sep" select="'?'"/><xsl:value-of select="@id"/><xsl:value-of select="$sep"/><xsl:apply-templates select="line"/></xsl:template>
<xsl:template match="line"><xsl:param name="sep" select="'(default)'"/><xsl:value-of select="$sep"/></xsl:template>
</xsl:stylesheet>
