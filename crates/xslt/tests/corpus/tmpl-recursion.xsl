<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:call-template name="count"><xsl:with-param name="n" select="500"/></xsl:call-template></xsl:template>
<xsl:template name="count"><xsl:param name="n"/><xsl:if test="$n &gt; 0"><xsl:if test="$n mod 100 = 0"><xsl:value-of select="$n"/>,</xsl:if><xsl:call-template name="count"><xsl:with-param name="n" select="$n - 1"/></xsl:call-template></xsl:if></xsl:template>
</xsl:stylesheet>
