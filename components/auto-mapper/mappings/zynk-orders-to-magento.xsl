<?xml version="1.0" encoding="utf-8"?>
<!--
  Auto Mapper built-in: Zynk XML sales orders (the success file of "Import Sales Orders into
  Sage 50") -> Magento (V1) order updates (catalogue 2.12, 2.13 "Import (update) Orders").
  Magento knows an order by its increment_id, which the Magento mapping put into
  CustomerOrderNumber (SalesOrderNumber is replaced by the Sage number on import).
  Output: ArrayOfOrderInfo/OrderInfo/increment_id.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:strip-space elements="*"/>

  <xsl:template match="/">
    <ArrayOfOrderInfo xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
      <xsl:apply-templates select="Company/SalesOrders/SalesOrder"/>
    </ArrayOfOrderInfo>
  </xsl:template>

  <xsl:template match="SalesOrder[normalize-space(CustomerOrderNumber) != '']">
    <OrderInfo>
      <increment_id><xsl:value-of select="normalize-space(CustomerOrderNumber)"/></increment_id>
    </OrderInfo>
  </xsl:template>

  <!-- Without the web order number Magento cannot find the order: say so instead of sending
       an update that would fail there. -->
  <xsl:template match="SalesOrder">
    <xsl:message>SalesOrder <xsl:value-of select="Id"/> has no CustomerOrderNumber: no Magento update written for it</xsl:message>
  </xsl:template>
</xsl:stylesheet>
