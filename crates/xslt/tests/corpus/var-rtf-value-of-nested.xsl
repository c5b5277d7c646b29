<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:variable name="a"><x>1<y>2</y></x>3</xsl:variable><xsl:template match="/"><xsl:value-of select="$a"/>|<xsl:value-of select="string-length($a)"/></xsl:template>
</xsl:stylesheet>
