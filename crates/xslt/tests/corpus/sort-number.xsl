<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="//line"><xsl:sort select="price" data-type="number"/><xsl:value-of select="price"/>;</xsl:for-each>|<xsl:for-each select="//line"><xsl:sort select="@qty" data-type="number" order="descending"/><xsl:value-of select="@qty"/>;</xsl:for-each></xsl:template>
</xsl:stylesheet>
