<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:import href="_ai-mid.xsl"/>
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//order[1]/line"/>|<xsl:apply-templates select="//order[1]/line[1]/price"/></xsl:template>
<xsl:template match="line">[top line]<xsl:apply-imports/></xsl:template>
<xsl:template match="price">[top price]<xsl:apply-imports/></xsl:template>
</xsl:stylesheet>
