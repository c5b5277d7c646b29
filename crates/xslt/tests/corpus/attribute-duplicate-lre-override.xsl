<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out a="1" b="2"><xsl:attribute name="b">3</xsl:attribute><xsl:attribute name="a"><xsl:value-of select="4"/></xsl:attribute></out></xsl:template>
</xsl:stylesheet>
