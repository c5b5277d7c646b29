<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output indent="yes"/>
<xsl:template match="/"><r><xsl:comment>c1</xsl:comment><a/><xsl:processing-instruction name="p">d</xsl:processing-instruction></r></xsl:template>
</xsl:stylesheet>
