<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:import href="_ai-base.xsl"/>
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//order[1]/line"/></xsl:template>
<xsl:template name="hook">[main hook]<xsl:apply-imports/></xsl:template>
</xsl:stylesheet>
