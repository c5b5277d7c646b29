<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:key name="s" match="line" use="@sku"/>
<xsl:template match="/"><xsl:for-each select="//line[generate-id() = generate-id(key('s', @sku)[1])]"><xsl:sort select="@sku"/><xsl:value-of select="@sku"/>=<xsl:value-of select="sum(key('s', @sku)/@qty)"/>;</xsl:for-each></xsl:template>
</xsl:stylesheet>
