<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//customer" mode="a"/>|<xsl:apply-templates select="//customer" mode="b"/>|<xsl:apply-templates select="//customer"/></xsl:template>
<xsl:template match="customer" mode="a">A<xsl:value-of select="@ref"/></xsl:template>
<xsl:template match="customer" mode="b">B<xsl:apply-templates select="name" mode="b"/></xsl:template>
<xsl:template match="name" mode="b">(<xsl:value-of select="."/>)</xsl:template>
<xsl:template match="customer">D</xsl:template>
</xsl:stylesheet>
