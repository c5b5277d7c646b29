<?xml version="1.0" encoding="ISO-8859-1"?>
<!-- HTML report over a Magento product export: grouping with keys, sorting, numbering. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="html" encoding="ISO-8859-1"/>
  <xsl:key name="by-type" match="*[type]" use="type"/>
  <xsl:template match="/">
    <html>
      <head><title>Products (<xsl:value-of select="count(//*[sku])"/>)</title></head>
      <body>
        <xsl:for-each select="//*[type][generate-id() = generate-id(key('by-type', type)[1])]">
          <xsl:sort select="type"/>
          <h2><xsl:number value="position()" format="I"/>. <xsl:value-of select="type"/></h2>
          <table border="1">
            <tr><th>#</th><th>SKU</th><th>Name</th><th>Price</th></tr>
            <xsl:for-each select="key('by-type', type)">
              <xsl:sort select="price" data-type="number" order="descending"/>
              <tr class="{substring('oddeven', 1 + 3 * (position() mod 2 = 0), 4 - (position() mod 2 = 0))}">
                <td><xsl:value-of select="position()"/></td>
                <td><xsl:value-of select="sku"/></td>
                <td><xsl:value-of select="name"/></td>
                <td align="right"><xsl:value-of select="format-number(price, '#,##0.00')"/></td>
              </tr>
            </xsl:for-each>
          </table>
        </xsl:for-each>
      </body>
    </html>
  </xsl:template>
</xsl:stylesheet>
