<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="document('')//w"><xsl:sort select="."/><xsl:value-of select="."/>;</xsl:for-each></xsl:template><d:d xmlns:d="urn:d"><w>b</w><w>B</w><w>a</w><w>A</w><w>10</w><w>9</w><w>é</w><w>z</w></d:d>
</xsl:stylesheet>
