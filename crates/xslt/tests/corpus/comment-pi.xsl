<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out><xsl:comment> a comment <xsl:value-of select="count(//line)"/></xsl:comment><xsl:comment>-dash-ok - </xsl:comment><xsl:processing-instruction name="target">data <xsl:value-of select="1+1"/></xsl:processing-instruction><xsl:processing-instruction name="{concat('dyn','pi')}"/><xsl:processing-instruction name="sp">   leading spaces</xsl:processing-instruction></out></xsl:template>
</xsl:stylesheet>
