<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="//line"><xsl:call-template name="show"/></xsl:for-each></xsl:template>
<xsl:template name="show"><xsl:value-of select="@sku"/>@<xsl:value-of select="position()"/>/<xsl:value-of select="last()"/>;</xsl:template>
</xsl:stylesheet>
