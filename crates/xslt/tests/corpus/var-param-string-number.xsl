<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:param name="n" select="5"/><xsl:template match="/"><xsl:value-of select="$n + 1"/>|<xsl:value-of select="$n = '10'"/>|<xsl:value-of select="concat('[', $n, ']')"/></xsl:template>
</xsl:stylesheet>
