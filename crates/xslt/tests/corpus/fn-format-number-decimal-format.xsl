<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:decimal-format name="eu" decimal-separator="," grouping-separator="."/>
<xsl:decimal-format name="odd" NaN="not-a-number" infinity="INF" minus-sign="~" percent="p" zero-digit="0" digit="x" pattern-separator="!"/>
<xsl:decimal-format decimal-separator="."  grouping-separator="," NaN="nan!"/>
<xsl:template match="/"><xsl:value-of select="format-number(1234567.891, '#.##0,00', 'eu')"/>|<xsl:value-of select="format-number(-12.5, '0,0', 'eu')"/>|<xsl:value-of select="format-number(0 div 0, 'x', 'odd')"/>|<xsl:value-of select="format-number(1 div 0, 'x', 'odd')"/>|<xsl:value-of select="format-number(-3, 'x0.0', 'odd')"/>|<xsl:value-of select="format-number(0 div 0, '#')"/>|<xsl:value-of select="format-number(-7, 'x!(x)', 'odd')"/></xsl:template>
</xsl:stylesheet>
