<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output indent="yes"/>
<xsl:template match="/"><xsl:call-template name="n"><xsl:with-param name="d" select="35"/></xsl:call-template></xsl:template><xsl:template name="n"><xsl:param name="d"/><xsl:if test="$d &gt; 0"><e><xsl:call-template name="n"><xsl:with-param name="d" select="$d - 1"/></xsl:call-template></e></xsl:if></xsl:template>
</xsl:stylesheet>
