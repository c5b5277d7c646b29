<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//shipping[1]"/>|<xsl:for-each select="//shipping[2]"><xsl:call-template name="ship"/></xsl:for-each></xsl:template><xsl:template match="shipping" name="ship">S<xsl:value-of select="@method"/></xsl:template>
</xsl:stylesheet>
