<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="//order"><xsl:value-of select="@id"/>(<xsl:for-each select="line"><xsl:value-of select="position()"/>:<xsl:value-of select="@sku"/> </xsl:for-each>)</xsl:for-each><xsl:for-each select="//nothing">never</xsl:for-each></xsl:template>
</xsl:stylesheet>
