<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:variable name="r"><a x="1">t<b/></a>tail</xsl:variable><xsl:template match="/"><out><xsl:copy-of select="$r"/>|<xsl:copy-of select="1 + 1"/>|<xsl:copy-of select="'str'"/>|<xsl:copy-of select="true()"/></out></xsl:template>
</xsl:stylesheet>
