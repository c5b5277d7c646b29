<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:import href="_imported.xsl"/>
<xsl:include href="_included.xsl"/>
<xsl:template match="/"><xsl:apply-templates select="//order[2]/*"/></xsl:template>
</xsl:stylesheet>
