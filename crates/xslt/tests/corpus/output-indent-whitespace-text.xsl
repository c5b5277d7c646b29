<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output indent="yes"/>
<xsl:template match="/"><r>
  <xsl:text>   </xsl:text>
  <a><xsl:text>
</xsl:text></a>
  <b><xsl:value-of select="''"/></b>
  <c><xsl:comment>x</xsl:comment></c>
  <xsl:for-each select="//customer"><cust><xsl:value-of select="@ref"/></cust></xsl:for-each>
</r></xsl:template></xsl:stylesheet>
