<xsl:stylesheet version="2.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out><xsl:future-thing><xsl:fallback>fell back</xsl:fallback></xsl:future-thing></out></xsl:template>
</xsl:stylesheet>
