<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><xsl:comment>first</xsl:comment><a/><xsl:processing-instruction name="p">x</xsl:processing-instruction><b/></xsl:template>
</xsl:stylesheet>
