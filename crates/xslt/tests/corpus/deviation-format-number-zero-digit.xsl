<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:decimal-format name="ar" zero-digit="&#x660;"/>
<xsl:decimal-format name="deva" zero-digit="&#x966;" grouping-separator="&#x2C;"/>
<xsl:template match="/">
<xsl:value-of select="format-number(1234.5, '#,##&#x660;.&#x660;&#x660;', 'ar')"/>|<xsl:value-of select="format-number(7, '&#x660;&#x660;&#x660;', 'ar')"/>|<xsl:value-of select="format-number(-12345.5, '#,##&#x966;.&#x966;', 'deva')"/>
</xsl:template>
</xsl:stylesheet>
