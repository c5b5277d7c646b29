<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html"/>
<xsl:template match="/"><html><body><xsl:comment>c</xsl:comment><xsl:processing-instruction name="php">echo 1</xsl:processing-instruction><p>t</p></body></html></xsl:template>
</xsl:stylesheet>
