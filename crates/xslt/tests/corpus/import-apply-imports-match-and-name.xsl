<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:import href="_ai-base.xsl"/>
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//order[1]/line[1]"/>|<xsl:apply-templates select="//order[1]/line[1]/price"/></xsl:template>
<xsl:template match="line">[main line]<xsl:call-template name="p"/></xsl:template>
<xsl:template match="price" name="p">[main p <xsl:value-of select="name()"/>]<xsl:apply-imports/></xsl:template>
<xsl:template name="hook">[main hook]</xsl:template>
</xsl:stylesheet>
