<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xml:space="preserve">
<xsl:output method="xml"/>
<xsl:template match="/">
  <out>
    <xsl:for-each select="//order[1]/line">
      <l><xsl:value-of select="@sku"/></l>
    </xsl:for-each>
  </out>
</xsl:template>
</xsl:stylesheet>
