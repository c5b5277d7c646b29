<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:key name="k" match="line" use="@sku"/><xsl:variable name="beef" select="key('k','76460')"/><xsl:template match="/"><xsl:value-of select="count($beef)"/>|<xsl:value-of select="sum($beef/@qty)"/></xsl:template>
</xsl:stylesheet>
