<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out><xsl:copy-of select="//z:note/@*" xmlns:z="urn:zynk"/><xsl:copy-of select="//order[2]"/><xsl:copy-of select="//comment()"/><xsl:copy-of select="//processing-instruction()"/><xsl:copy-of select="//z:extra" xmlns:z="urn:zynk"/></out></xsl:template>
</xsl:stylesheet>
