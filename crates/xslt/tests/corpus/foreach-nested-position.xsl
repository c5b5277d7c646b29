<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="//order"><xsl:variable name="op" select="position()"/><xsl:for-each select="line"><xsl:value-of select="$op"/>.<xsl:value-of select="position()"/>/<xsl:value-of select="last()"/> </xsl:for-each></xsl:for-each></xsl:template>
</xsl:stylesheet>
