<?xml version="1.0" encoding="utf-8"?>
<!--
  Auto Mapper built-in: Zynk XML products (a Sage 50 stock export) -> BigCommerce inventory
  (catalogue 2.12, 2.14 "Import Inventory Updates", 3.5 web-stock rule).
  inventory_level = free stock (QtyInStock - QtyAllocated), 0 when below 1;
  inventory_warning_level = ReorderLvl (left out when Sage has none).
  Output: ArrayOfInventory/Inventory (sku, inventory_level, inventory_warning_level).
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
    <Inventory>
      <sku><xsl:value-of select="normalize-space(Sku)"/></sku>
      <inventory_level>
        <xsl:choose>
          <xsl:when test="$free &lt; 1">0</xsl:when>
          <xsl:otherwise><xsl:value-of select="$free"/></xsl:otherwise>
        </xsl:choose>
      </inventory_level>
      <xsl:if test="number(ReorderLvl) = number(ReorderLvl)">
        <inventory_warning_level><xsl:value-of select="number(ReorderLvl)"/></inventory_warning_level>
      </xsl:if>
    </Inventory>
  </xsl:template>
</xsl:stylesheet>
