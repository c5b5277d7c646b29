<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:variable name="n" select="name(*)"/><xsl:variable name="cnt" select="count(.)"/><xsl:variable name="pos" select="position()"/>
<xsl:template match="/"><xsl:for-each select="//line"><xsl:value-of select="$n"/><xsl:value-of select="$cnt"/><xsl:value-of select="$pos"/>,</xsl:for-each></xsl:template>
</xsl:stylesheet>
