<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:z="urn:zynk">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="/"><xsl:for-each select="//@z:*">
<xsl:value-of select="position()"/>:<xsl:value-of select="name()"/>[<xsl:value-of select="normalize-space(substring(string(.),1,20))"/>]<xsl:text>&#10;</xsl:text></xsl:for-each></xsl:for-each></xsl:template>
</xsl:stylesheet>
