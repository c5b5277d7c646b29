<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/">
<xsl:number value="1e25"/>|<xsl:number value="18446744073709551616"/>|<xsl:number value="12345678901234567890123"/>|<xsl:number value="1e25" format="I"/>|<xsl:number value="1e25" format="001" grouping-separator="," grouping-size="3"/>|<xsl:number value="1e25" format="&#x661;"/>|<xsl:number value="1e22 * 3"/>
</xsl:template>
</xsl:stylesheet>
