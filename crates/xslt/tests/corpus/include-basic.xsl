<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:include href="_included.xsl"/>
<xsl:template match="/"><xsl:apply-templates select="//shipping"/>|<xsl:value-of select="$inc"/></xsl:template>
<xsl:template match="shipping" priority="-1">[main shipping]</xsl:template>
</xsl:stylesheet>
