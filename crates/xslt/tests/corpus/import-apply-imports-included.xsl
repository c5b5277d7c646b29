<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:import href="_ai-base.xsl"/>
<xsl:include href="_ai-included.xsl"/>
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//order[1]/line/price"/></xsl:template>
<xsl:template name="hook"/>
</xsl:stylesheet>
