<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:exsl="http://exslt.org/common">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:value-of select="count(exsl:node-set('abc'))"/>|<xsl:value-of select="exsl:node-set('abc')"/>|<xsl:value-of select="count(exsl:node-set(//line))"/></xsl:template>
</xsl:stylesheet>
