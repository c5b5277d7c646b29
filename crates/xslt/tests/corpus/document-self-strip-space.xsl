<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:d="urn:d">
<xsl:strip-space elements="*"/>
<xsl:preserve-space elements="d:keep"/>
<xsl:output method="text"/>
<xsl:template match="/"><xsl:value-of select="count(document('')//text())"/>|<xsl:value-of select="count(document('')/*/node())"/>|<xsl:value-of select="count(document('')//d:keep/text())"/>|<xsl:value-of select="count(document('')//d:drop/text())"/></xsl:template>
<d:keep> <d:x/> </d:keep><d:drop> <d:x/> </d:drop>
</xsl:stylesheet>
