<?xml version="1.0"?>
<!-- Zynk Products -> BigCommerce inventory (Updating-Inventory-in-BigCommerce). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes"/>
  <xsl:template match="/Company">
    <ArrayOfInventory>
      <xsl:apply-templates select="Products/Product"/>
    </ArrayOfInventory>
  </xsl:template>
  <xsl:template match="Product">
    <xsl:variable name="level" select="QtyInStock - QtyAllocated"/>
    <Inventory>
      <sku><xsl:value-of select="Sku"/></sku>
      <inventory_level><xsl:value-of select="$level * ($level &gt;= 1)"/></inventory_level>
      <inventory_warning_level><xsl:value-of select="ReorderLvl"/></inventory_warning_level>
    </Inventory>
  </xsl:template>
</xsl:stylesheet>
