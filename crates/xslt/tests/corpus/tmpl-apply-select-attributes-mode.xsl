<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//line[1]/@*" mode="a"/></xsl:template><xsl:template match="@*" mode="a"><xsl:value-of select="name()"/>=<xsl:value-of select="."/>;</xsl:template>
</xsl:stylesheet>
