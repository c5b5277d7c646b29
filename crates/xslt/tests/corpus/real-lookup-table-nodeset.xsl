<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:exsl="http://exslt.org/common" extension-element-prefixes="exsl">
<xsl:output method="xml" indent="yes" omit-xml-declaration="yes"/>
<xsl:variable name="lookup">
  <map from="United Kingdom" to="GB"/>
  <map from="France" to="FR"/>
</xsl:variable>
<xsl:template match="/">
  <Customers>
    <xsl:for-each select="//customer">
      <xsl:variable name="c" select="country"/>
      <Customer ref="{@ref}">
        <Country><xsl:value-of select="exsl:node-set($lookup)/map[@from = $c]/@to"/></Country>
        <xsl:if test="@vip"><Vip/></xsl:if>
      </Customer>
    </xsl:for-each>
  </Customers>
</xsl:template>
</xsl:stylesheet>
