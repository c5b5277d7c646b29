<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:import href="_ai-base.xsl"/>
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//order[1]/line[1]/price"/></xsl:template>
<xsl:template match="price">[main price]<xsl:call-template name="lib-apply"/></xsl:template>
<xsl:template name="hook">[main hook]</xsl:template>
</xsl:stylesheet>
