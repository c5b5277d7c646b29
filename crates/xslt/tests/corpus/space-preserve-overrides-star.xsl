<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/><xsl:strip-space elements="*"/><xsl:preserve-space elements="orders"/>
<xsl:template match="/"><xsl:value-of select="count(/orders/node())"/>|<xsl:value-of select="count(//order[1]/node())"/></xsl:template>
</xsl:stylesheet>
