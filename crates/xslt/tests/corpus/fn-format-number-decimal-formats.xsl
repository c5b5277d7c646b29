<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:decimal-format name="eu" decimal-separator="," grouping-separator="."/>
<xsl:decimal-format name="sym" infinity="INF" NaN="nichts" minus-sign="~" percent="p" per-mille="m" pattern-separator="!" digit="x" zero-digit="0"/>
<xsl:decimal-format name="sp" grouping-separator=" " decimal-separator="'"/>
<xsl:template match="/">
<xsl:value-of select="format-number(1234567.891, '#.##0,00', 'eu')"/>|<xsl:value-of select="format-number(-1234.5, '#.##0,0;(#)', 'eu')"/>|<xsl:value-of select="format-number(0.5, ',#', 'eu')"/>|<xsl:value-of select="format-number(1, '#,', 'eu')"/>
<xsl:value-of select="format-number(1 div 0, 'x', 'sym')"/>|<xsl:value-of select="format-number(-1 div 0, 'x', 'sym')"/>|<xsl:value-of select="format-number(0 div 0, 'x', 'sym')"/>|<xsl:value-of select="format-number(-12, 'x0.0x', 'sym')"/>|<xsl:value-of select="format-number(0.25, 'xp', 'sym')"/>|<xsl:value-of select="format-number(0.25, 'xm', 'sym')"/>|<xsl:value-of select="format-number(-3, 'x!(x)', 'sym')"/>|<xsl:value-of select="format-number(-3, '#;(#)', 'sym')"/>
<xsl:value-of select="format-number(1234567.5, &quot;# ##0'0&quot;, 'sp')"/>|<xsl:value-of select="format-number(-0.001, '0.00')"/>|<xsl:value-of select="format-number(-1, '#;#')"/>|<xsl:value-of select="format-number(-1, '#;-#')"/>|<xsl:value-of select="format-number(-0.25, '#%;#%')"/>|<xsl:value-of select="format-number(-0.25, '#;#%')"/>|<xsl:value-of select="format-number(0.25, '%%#')"/>|<xsl:value-of select="format-number(1, '')"/>|<xsl:value-of select="format-number(1234, '#,##0.00;(#,##0.00);')"/>|<xsl:value-of select="format-number(1.005, '0.00')"/>|<xsl:value-of select="format-number(2.675, '0.00')"/>|<xsl:value-of select="format-number(-2.5, '0')"/>|<xsl:value-of select="format-number(0.0000001, '#.######')"/>|<xsl:value-of select="format-number(1e-7, '0.#######E0')"/>|<xsl:value-of select="format-number(5, &quot;'x'#'y'&quot;)"/>|<xsl:value-of select="format-number(5, &quot;#'&quot;)"/>
</xsl:template>
</xsl:stylesheet>
