<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:d="urn:default" xmlns:z="urn:zynk">
<xsl:template match="/"><root xmlns="urn:out">
<xsl:copy-of select="//d:inner"/>
<xsl:element name="x" namespace=""><xsl:copy-of select="//z:note"/></xsl:element>
<xsl:element name="z:y"><xsl:attribute name="xml:lang">en</xsl:attribute><xsl:attribute name="z:a">1</xsl:attribute><xsl:attribute name="d:b">2</xsl:attribute></xsl:element>
<plain xmlns=""><xsl:copy-of select="//d:inner"/></plain>
<xsl:for-each select="//z:extra"><xsl:copy><xsl:copy-of select="@*"/></xsl:copy></xsl:for-each>
</root></xsl:template></xsl:stylesheet>
