<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="//line"><xsl:sort select="name" order="descending"/><xsl:sort select="@qty" data-type="number"/><xsl:value-of select="@sku"/>,</xsl:for-each></xsl:template>
</xsl:stylesheet>
