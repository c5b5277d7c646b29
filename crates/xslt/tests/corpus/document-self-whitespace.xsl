<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>

<xsl:template match="/">
  <xsl:value-of select="count(document('')//text())"/>|<xsl:value-of select="count(document('')/*/node())"/>|<xsl:value-of select="string-length(document('')/*/text()[2])"/>|<xsl:for-each select="document('')/*/node()"><xsl:value-of select="name()"/>,</xsl:for-each>|<xsl:value-of select="count(document('document-self-whitespace.xsl')/*/node())"/>|<xsl:value-of select="count(document('')|document('document-self-whitespace.xsl'))"/>
  <!-- a comment -->
</xsl:template>
<data xmlns="urn:d"> <a> x </a>
  <b/> </data>
</xsl:stylesheet>
