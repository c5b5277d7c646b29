<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//line"/>|<xsl:apply-templates select="/orders/order[1]/node()"/></xsl:template>
<xsl:template match="line"><xsl:value-of select="position()"/>/<xsl:value-of select="last()"/> </xsl:template>
<xsl:template match="node()"><xsl:value-of select="position()"/>.</xsl:template>
<xsl:template match="order/line" priority="5">L<xsl:value-of select="position()"/> </xsl:template>
</xsl:stylesheet>
