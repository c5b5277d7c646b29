<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:import href="_imported2.xsl"/>
<xsl:template match="/"><xsl:apply-templates select="//order[1]/line"/></xsl:template>
<xsl:template match="line">[main line]<xsl:apply-imports/></xsl:template>
</xsl:stylesheet>
