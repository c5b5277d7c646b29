<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:variable name="lines" select="//line"/>
<xsl:template match="/"><xsl:value-of select="count(($lines)[@qty > 2])"/>|<xsl:value-of select="$lines[2]/@sku"/>|<xsl:value-of select="($lines)[last()]/@sku"/>|<xsl:value-of select="count($lines[name='Lung Beef x 100'])"/>|<xsl:value-of select="(//order | //customer)[3]/@ref"/>|<xsl:value-of select="$lines[position() mod 2 = 0][1]/@sku"/></xsl:template>
</xsl:stylesheet>
