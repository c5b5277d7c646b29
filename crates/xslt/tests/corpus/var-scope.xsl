<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:variable name="v" select="'global'"/>
<xsl:template match="/"><xsl:value-of select="$v"/>,<xsl:variable name="v" select="'local'"/><xsl:value-of select="$v"/>,<xsl:for-each select="//order"><xsl:variable name="id" select="@id"/><xsl:value-of select="$id"/></xsl:for-each>,<xsl:call-template name="t"/></xsl:template>
<xsl:template name="t"><xsl:value-of select="$v"/></xsl:template>
</xsl:stylesheet>
