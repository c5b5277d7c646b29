<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:param name="ord" select="'descending'"/><xsl:template match="/"><xsl:for-each select="//line"><xsl:sort select="@sku" order="{$ord}"/><xsl:value-of select="@sku"/>;</xsl:for-each></xsl:template>
</xsl:stylesheet>
