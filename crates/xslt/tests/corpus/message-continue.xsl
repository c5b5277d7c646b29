<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/">before<xsl:message>note <xsl:value-of select="count(//line)"/></xsl:message>after</xsl:template>
</xsl:stylesheet>
