<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:call-template name="greet"/>|<xsl:call-template name="greet"><xsl:with-param name="who" select="'you'"/></xsl:call-template>|<xsl:call-template name="greet"><xsl:with-param name="who">rtf <b>x</b></xsl:with-param><xsl:with-param name="unused" select="1"/></xsl:call-template>|<xsl:call-template name="fact"><xsl:with-param name="n" select="6"/></xsl:call-template></xsl:template>
<xsl:template name="greet"><xsl:param name="who" select="'world'"/><xsl:param name="punct">!</xsl:param>hello <xsl:value-of select="$who"/><xsl:value-of select="$punct"/></xsl:template>
<xsl:template name="fact"><xsl:param name="n"/><xsl:choose><xsl:when test="$n &lt;= 1">1</xsl:when><xsl:otherwise><xsl:variable name="r"><xsl:call-template name="fact"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template></xsl:variable><xsl:value-of select="$n * $r"/></xsl:otherwise></xsl:choose></xsl:template>
</xsl:stylesheet>
