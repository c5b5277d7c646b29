<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:exsl="http://exslt.org/common">
<xsl:output method="text"/>
<xsl:variable name="r"><a/></xsl:variable><xsl:template match="/"><xsl:value-of select="exsl:object-type(1)"/>,<xsl:value-of select="exsl:object-type('s')"/>,<xsl:value-of select="exsl:object-type(true())"/>,<xsl:value-of select="exsl:object-type(//line)"/>,<xsl:value-of select="exsl:object-type($r)"/>,<xsl:value-of select="exsl:object-type(exsl:node-set($r))"/></xsl:template>
</xsl:stylesheet>
