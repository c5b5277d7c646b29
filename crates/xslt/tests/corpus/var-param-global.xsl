<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:param name="p1" select="'default1'"/><xsl:param name="p2">default2</xsl:param><xsl:param name="p3" select="2 + 2"/>
<xsl:template match="/"><xsl:value-of select="$p1"/>|<xsl:value-of select="$p2"/>|<xsl:value-of select="$p3"/></xsl:template>
</xsl:stylesheet>
