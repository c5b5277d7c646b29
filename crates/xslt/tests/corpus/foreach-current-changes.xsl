<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="//order"><xsl:for-each select="line"><xsl:value-of select="count(current()/../line)"/></xsl:for-each>;</xsl:for-each></xsl:template>
</xsl:stylesheet>
