<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:template match="order[not(id)]">
    <xsl:message terminate="yes">order <xsl:value-of select="count(preceding-sibling::order) + 1"/> has no id</xsl:message>
  </xsl:template>
</xsl:stylesheet>
