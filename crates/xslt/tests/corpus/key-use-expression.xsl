<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:key name="k" match="line" use="concat(../@id, '/', @sku)"/><xsl:key name="n" match="line" use="number(@qty) &gt; 2"/><xsl:template match="/"><xsl:value-of select="key('k','o3/C9')/name"/>|<xsl:value-of select="count(key('n','true'))"/></xsl:template>
</xsl:stylesheet>
