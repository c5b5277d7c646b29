<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out><xsl:processing-instruction name="q">a?>b</xsl:processing-instruction></out></xsl:template>
</xsl:stylesheet>
