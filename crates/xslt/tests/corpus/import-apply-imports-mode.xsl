<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:import href="_ai-base.xsl"/>
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//order[1]/line" mode="m"/></xsl:template>
<xsl:template match="line" mode="m">[main m]<xsl:apply-imports/></xsl:template>
</xsl:stylesheet>
