<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="//line"><xsl:if test="@qty &gt; 2">big </xsl:if><xsl:choose><xsl:when test="price &gt; 10">expensive</xsl:when><xsl:when test="price &gt; 1">mid</xsl:when><xsl:when test="price">cheap</xsl:when><xsl:otherwise>unknown</xsl:otherwise></xsl:choose>;</xsl:for-each><xsl:choose><xsl:when test="false()">no</xsl:when></xsl:choose></xsl:template>
</xsl:stylesheet>
