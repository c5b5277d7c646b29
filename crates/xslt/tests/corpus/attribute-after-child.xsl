<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out><kid/><xsl:attribute name="late">x</xsl:attribute></out></xsl:template>
</xsl:stylesheet>
