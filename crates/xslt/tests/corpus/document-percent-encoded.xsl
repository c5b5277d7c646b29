<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:import href="_imp%20space.xsl"/>
<xsl:output method="text"/>
<xsl:template match="/"><xsl:value-of select="count(document('_doc%20space.xml')//line)"/>|<xsl:value-of select="count(document('_doc space.xml')//line)"/>|<xsl:value-of select="count(document('./_doc%20space.xml')//line)"/>|<xsl:value-of select="count(document('_doc%2520space.xml')//line)"/>|<xsl:value-of select="count(document('%5Fdoc%20space.xml')//line)"/>|<xsl:value-of select="$who"/></xsl:template>
</xsl:stylesheet>
