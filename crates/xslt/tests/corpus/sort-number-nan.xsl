<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="document('')//w"><xsl:sort select="." data-type="number"/><xsl:value-of select="."/>;</xsl:for-each>|<xsl:for-each select="document('')//w"><xsl:sort select="." data-type="number" order="descending"/><xsl:value-of select="."/>;</xsl:for-each></xsl:template><d:d xmlns:d="urn:d"><w>10</w><w>x</w><w>-1</w><w>2.5</w><w></w><w>9</w></d:d>
</xsl:stylesheet>
