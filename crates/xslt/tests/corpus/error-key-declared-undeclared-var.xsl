<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:key name="k" match="line" use="@sku"/>
<xsl:template match="/"><xsl:value-of select="count(key('k', $undeclared))"/></xsl:template>
</xsl:stylesheet>
