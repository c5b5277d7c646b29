<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="xml"/>
<xsl:template match="/" xml:space="preserve">
  <out>
    <xsl:for-each select="//order[1]/line" xml:space="default">
      <l><xsl:value-of select="@sku"/></l>
    </xsl:for-each>
    <xsl:text> </xsl:text>
  </out>
</xsl:template>
</xsl:stylesheet>
