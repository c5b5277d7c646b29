<?xml version="1.0" encoding="utf-8"?>
<!--
  Auto Mapper built-in: Zynk XML sales orders (the success file of "Import Sales Orders into
  Sage 50") -> BigCommerce order status updates (catalogue 2.12, 2.14 "Import Order Updates").
  BigCommerce needs only the order id, which the BigCommerce mapping put into Id.
  Output: orders/order/id.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:strip-space elements="*"/>

  <xsl:template match="/">
    <orders>
      <xsl:apply-templates select="Company/SalesOrders/SalesOrder"/>
    </orders>
  </xsl:template>

  <xsl:template match="SalesOrder[normalize-space(Id) != '']">
    <order>
      <id><xsl:value-of select="normalize-space(Id)"/></id>
    </order>
  </xsl:template>

  <xsl:template match="SalesOrder">
    <xsl:message>SalesOrder <xsl:value-of select="CustomerOrderNumber"/> has no Id: no BigCommerce update written for it</xsl:message>
  </xsl:template>
</xsl:stylesheet>
