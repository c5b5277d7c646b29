<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="text"/>
  <xsl:param name="depth" select="3000"/>
  <xsl:template match="/"><xsl:call-template name="down"><xsl:with-param name="n" select="$depth"/></xsl:call-template></xsl:template>
  <xsl:template name="down">
    <xsl:param name="n"/>
    <xsl:choose>
      <xsl:when test="$n &gt; 0"><xsl:call-template name="down"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template></xsl:when>
      <xsl:otherwise>reached the bottom</xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
