<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:value-of select="format-number(1e25,'#,###')"/>|<xsl:value-of select="format-number(12345678901234567890,'#')"/>|<xsl:value-of select="format-number(1e300,'0')"/></xsl:template>
</xsl:stylesheet>
