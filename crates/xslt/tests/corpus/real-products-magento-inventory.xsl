<?xml version="1.0" encoding="utf-8"?>
<!-- Zynk Products -> Magento inventory: free stock, skipping negative (Uploading-Inventory-to-Magento). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:template match="/">
    <ArrayOfInventory>
      <xsl:for-each select="Company/Products/Product[QtyInStock - QtyAllocated &gt; -1]">
        <xsl:sort select="Sku"/>
        <xsl:variable name="free" select="QtyInStock - QtyAllocated"/>
        <Inventory>
          <sku><xsl:value-of select="Sku"/></sku>
          <qty><xsl:value-of select="$free"/></qty>
          <is_in_stock><xsl:choose><xsl:when test="$free &gt; 0">1</xsl:when><xsl:otherwise>0</xsl:otherwise></xsl:choose></is_in_stock>
        </Inventory>
      </xsl:for-each>
    </ArrayOfInventory>
  </xsl:template>
</xsl:stylesheet>
