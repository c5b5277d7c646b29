<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:q="urn:zynk">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="/">
<xsl:text>0=</xsl:text><xsl:value-of select="name(//*[local-name()='note'])"/><xsl:text>&#10;</xsl:text>
<xsl:text>1=</xsl:text><xsl:value-of select="name(//*[local-name()='extra'])"/><xsl:text>&#10;</xsl:text>
</xsl:for-each></xsl:template>
</xsl:stylesheet>
