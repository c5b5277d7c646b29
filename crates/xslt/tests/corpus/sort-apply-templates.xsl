<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//customer"><xsl:sort select="country" order="descending"/></xsl:apply-templates></xsl:template><xsl:template match="customer"><xsl:value-of select="position()"/>:<xsl:value-of select="name"/>;</xsl:template>
</xsl:stylesheet>
