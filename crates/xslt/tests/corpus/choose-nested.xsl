<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="//line"><xsl:choose><xsl:when test="@qty &gt; 2"><xsl:choose><xsl:when test="price &gt; 1">A</xsl:when><xsl:otherwise>B</xsl:otherwise></xsl:choose></xsl:when><xsl:otherwise><xsl:if test="price">C</xsl:if></xsl:otherwise></xsl:choose></xsl:for-each></xsl:template>
</xsl:stylesheet>
