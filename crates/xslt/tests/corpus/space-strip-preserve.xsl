<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:strip-space elements="*"/><xsl:preserve-space elements="order"/>
<xsl:template match="/"><xsl:copy-of select="/orders/order"/></xsl:template>
</xsl:stylesheet>
