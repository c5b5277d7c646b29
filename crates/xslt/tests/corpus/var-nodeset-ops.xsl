<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:variable name="o" select="//order"/><xsl:template match="/"><xsl:value-of select="count($o/line)"/>|<xsl:value-of select="$o[2]/@id"/>|<xsl:value-of select="count($o//price)"/>|<xsl:value-of select="name($o/..)"/>|<xsl:value-of select="count($o | //customer)"/></xsl:template>
</xsl:stylesheet>
