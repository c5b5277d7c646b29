<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:value-of select="count(document('_smartdebit-fail.xml')//Transaction)"/>|<xsl:value-of select="document('_smartdebit-fail.xml')//Reference"/>|<xsl:value-of select="count(document('missing-file.xml'))"/></xsl:template>
</xsl:stylesheet>
