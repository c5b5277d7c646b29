<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/">before<xsl:message terminate="yes">fatal: <xsl:value-of select="//order[1]/@id"/></xsl:message>after</xsl:template>
</xsl:stylesheet>
