<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:variable name="me" select="document('')"/><xsl:template match="/"><xsl:value-of select="count($me//xsl:template)"/>|<xsl:value-of select="name($me/*)"/>|<xsl:value-of select="$me//d:v" xmlns:d="urn:d"/></xsl:template><d:v xmlns:d="urn:d">self-data</d:v>
</xsl:stylesheet>
