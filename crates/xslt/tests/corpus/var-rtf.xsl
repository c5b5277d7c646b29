<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:exsl="http://exslt.org/common">
<xsl:output method="text"/>
<xsl:variable name="r"><x>1</x><x>2</x></xsl:variable><xsl:variable name="r2">12</xsl:variable><xsl:variable name="e"/><xsl:variable name="s" select="'str'"/>
<xsl:template match="/"><xsl:variable name="loc">local <xsl:value-of select="count(//line)"/></xsl:variable>[<xsl:value-of select="$r"/>][<xsl:value-of select="$e"/>][<xsl:value-of select="string-length($e)"/>][<xsl:value-of select="$loc"/>][<xsl:value-of select="boolean($e)"/>][<xsl:value-of select="$r2 = '12'"/>][<xsl:value-of select="$r * 2"/>][<xsl:value-of select="concat($r, $s)"/>][<xsl:value-of select="count(exsl:node-set($r)/x)"/>][<xsl:value-of select="exsl:node-set($r)/x[2]"/>]</xsl:template>
</xsl:stylesheet>
