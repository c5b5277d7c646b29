<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out><xsl:attribute name="a">x<xsl:value-of select="1"/>y</xsl:attribute></out></xsl:template>
</xsl:stylesheet>
