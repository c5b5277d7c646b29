<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:key name="c" match="customer" use="@ref"/><xsl:template match="/"><xsl:for-each select="//order"><xsl:value-of select="key('c', @customer)/country"/>;</xsl:for-each></xsl:template>
</xsl:stylesheet>
