<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:key name="k" match="line" use="@sku"/><xsl:key name="k" match="customer" use="@ref"/><xsl:key name="t" match="text()" use="."/><xsl:key name="a" match="@method" use="."/>
<xsl:template match="/"><xsl:value-of select="count(key('k','c1'))"/><xsl:value-of select="count(key('k','B7'))"/>|<xsl:value-of select="name(key('t','tea')/..)"/>|<xsl:value-of select="count(key('a','flatrate_flatrate'))"/></xsl:template>
</xsl:stylesheet>
