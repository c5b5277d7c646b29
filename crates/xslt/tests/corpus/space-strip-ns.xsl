<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:z="urn:zynk">
<xsl:output method="text"/><xsl:strip-space elements="z:* orders"/>
<xsl:template match="/"><xsl:value-of select="count(//z:extra/node())"/>|<xsl:value-of select="count(/orders/node())"/></xsl:template>
</xsl:stylesheet>
