<?xml version="1.0" encoding="utf-8"?>
<!--
  Auto Mapper built-in: Zynk XML products (a Sage 50 stock export) -> Magento (V1) inventory
  (catalogue 2.12, 2.13 "Update Inventory in Magento", 3.5 web-stock rule).
  Free stock = QtyInStock - QtyAllocated (a missing quantity counts as 0). Products with
  negative free stock are left out; is_in_stock is 1 when free stock is above 0.
  Output: ArrayOfInventory/Inventory (sku, qty, is_in_stock).
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:strip-space elements="*"/>

  <xsl:template match="/">
    <ArrayOfInventory xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
      <xsl:apply-templates select="Company/Products/Product[normalize-space(Sku) != '']"/>
    </ArrayOfInventory>
  </xsl:template>

  <xsl:template match="Product">
    <xsl:variable name="free" select="sum(QtyInStock[number(.) = number(.)]) - sum(QtyAllocated[number(.) = number(.)])"/>
    <xsl:if test="$free &gt; -1">
      <Inventory>
        <sku><xsl:value-of select="normalize-space(Sku)"/></sku>
        <qty><xsl:value-of select="$free"/></qty>
        <is_in_stock><xsl:value-of select="number($free &gt; 0)"/></is_in_stock>
      </Inventory>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
