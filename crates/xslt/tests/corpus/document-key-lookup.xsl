<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:key name="t" match="Transaction" use="Reference"/><xsl:template match="/"><xsl:for-each select="document('_smartdebit-fail.xml')"><xsl:value-of select="key('t','IN9')/NetAmount"/></xsl:for-each></xsl:template>
</xsl:stylesheet>
