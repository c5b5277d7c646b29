<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:import href="_imported.xsl"/>
<xsl:template match="/"><xsl:apply-templates select="//order[1]/*"/>|<xsl:value-of select="$who"/>|<xsl:call-template name="named"/></xsl:template>
<xsl:template match="price" priority="-10">[main price]</xsl:template>
<xsl:template match="z:note" xmlns:z="urn:zynk"/>
<xsl:template match="name"/>
<xsl:variable name="who" select="'main'"/>
</xsl:stylesheet>
