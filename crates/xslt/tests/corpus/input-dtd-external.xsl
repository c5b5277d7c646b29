<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/"><xsl:value-of select="id('a')"/>|<xsl:value-of select="id('b')"/>|<xsl:value-of select="/r/@version"/>|<xsl:value-of select="count(id('a b'))"/></xsl:template>
</xsl:stylesheet>
