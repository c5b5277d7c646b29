<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//line" mode="x"><xsl:sort select="@sku"/><xsl:with-param name="p" select="'P'"/></xsl:apply-templates>|<xsl:value-of select="format-number(1234.5,'#,##0.00;-#,##0.00')"/>|<xsl:value-of select="format-number(-1234.5,'#,##0.00;-#,##0.00')"/>|<xsl:value-of select="format-number(0.000001,'0.######')"/>|<xsl:value-of select="format-number(123456789012,'#,##0')"/>|<xsl:value-of select="substring('abc', 2, 1 div 0)"/>|<xsl:value-of select="string(-0.0001)"/>|<xsl:value-of select="10 div 3 * 3"/></xsl:template>
<xsl:template match="line" mode="x"><xsl:param name="p"/><xsl:value-of select="concat($p, @sku, position())"/>,</xsl:template>
</xsl:stylesheet>
