<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:value-of select="r"/>|<xsl:value-of select="id('i2')/@kind"/>|<xsl:value-of select="id('i1')/@kind"/>|<xsl:value-of select="count(id('i1 i2'))"/></xsl:template>
</xsl:stylesheet>
