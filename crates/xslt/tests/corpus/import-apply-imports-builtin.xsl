<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:import href="_included.xsl"/>
<xsl:template match="/"><xsl:apply-templates select="//price[1]"/></xsl:template>
<xsl:template match="price">[main]<xsl:apply-imports/></xsl:template>
</xsl:stylesheet>
