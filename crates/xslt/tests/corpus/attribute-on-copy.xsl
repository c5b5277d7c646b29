<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><xsl:for-each select="//line[1]"><xsl:copy><xsl:copy-of select="@*"/><xsl:attribute name="qty">99</xsl:attribute><xsl:attribute name="new">n</xsl:attribute></xsl:copy></xsl:for-each></xsl:template>
</xsl:stylesheet>
