<?xml version="1.0" encoding="utf-8"?>
<!--
  Auto Mapper built-in: Magento (V1) orders -> Zynk XML sales orders (catalogue 2.12).
  Input:  ArrayOfOrderInfo/OrderInfo, as written by the Magento "Export Orders" task.
  Output: Company/SalesOrders/SalesOrder (catalogue 3.4). Empty values are left out rather
          than written as empty elements, because Zynk XML treats an empty number as an error.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:strip-space elements="*"/>

  <!-- Sage account every web order is posted to. -->
  <xsl:param name="AccountReference" select="'WEBSALES'"/>
  <!-- Sage bank nominal the payment is recorded against. -->
  <xsl:param name="BankAccount" select="'1200'"/>
  <!-- Sage tax code of the order lines. -->
  <xsl:param name="TaxCode" select="'1'"/>

  <xsl:template match="/">
    <Company xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
      <SalesOrders>
        <xsl:apply-templates select="ArrayOfOrderInfo/OrderInfo"/>
      </SalesOrders>
    </Company>
  </xsl:template>

  <xsl:template match="OrderInfo">
    <SalesOrder>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Id'"/>
        <xsl:with-param name="value" select="order_id"/>
      </xsl:call-template>
      <!-- Guest orders have no customer id (or 0): the account reference decides then. -->
      <xsl:if test="normalize-space(customer_id) != '' and customer_id != '0'">
        <CustomerId><xsl:value-of select="customer_id"/></CustomerId>
      </xsl:if>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'AccountReference'"/>
        <xsl:with-param name="value" select="$AccountReference"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'SalesOrderNumber'"/>
        <xsl:with-param name="value" select="increment_id"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'CustomerOrderNumber'"/>
        <xsl:with-param name="value" select="increment_id"/>
      </xsl:call-template>
      <xsl:if test="normalize-space(created_at) != ''">
        <SalesOrderDate><xsl:value-of select="translate(normalize-space(created_at), ' ', 'T')"/></SalesOrderDate>
      </xsl:if>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Currency'"/>
        <xsl:with-param name="value" select="order_currency_code"/>
      </xsl:call-template>
      <TakenBy>Magento</TakenBy>
      <xsl:apply-templates select="billing_address">
        <xsl:with-param name="element" select="'SalesOrderAddress'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="shipping_address">
        <xsl:with-param name="element" select="'SalesOrderDeliveryAddress'"/>
      </xsl:apply-templates>
      <SalesOrderItems>
        <!-- A configurable product appears twice: the parent line (chosen SKU and price) and
             its simple child (parent_item_id set, no price). Only the parent is an order line. -->
        <xsl:apply-templates select="items/OrderProduct[normalize-space(parent_item_id) = '']"/>
      </SalesOrderItems>
      <Carriage>
        <xsl:call-template name="text">
          <xsl:with-param name="name" select="'Sku'"/>
          <xsl:with-param name="value" select="shipping_method"/>
        </xsl:call-template>
        <xsl:call-template name="text">
          <xsl:with-param name="name" select="'Name'"/>
          <xsl:with-param name="value" select="shipping_description"/>
        </xsl:call-template>
        <QtyOrdered>1</QtyOrdered>
        <xsl:call-template name="number">
          <xsl:with-param name="name" select="'UnitPrice'"/>
          <xsl:with-param name="value" select="shipping_amount"/>
        </xsl:call-template>
        <!-- Shipping is taxed only where Magento charged tax on it; otherwise Sage's default. -->
        <xsl:if test="number(shipping_tax_amount) &gt; 0">
          <xsl:call-template name="text">
            <xsl:with-param name="name" select="'TaxCode'"/>
            <xsl:with-param name="value" select="$TaxCode"/>
          </xsl:call-template>
        </xsl:if>
      </Carriage>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'PaymentRef'"/>
        <xsl:with-param name="value" select="payment/method"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'BankAccount'"/>
        <xsl:with-param name="value" select="$BankAccount"/>
      </xsl:call-template>
      <xsl:call-template name="number">
        <xsl:with-param name="name" select="'PaymentAmount'"/>
        <xsl:with-param name="value" select="payment/amount_ordered"/>
      </xsl:call-template>
    </SalesOrder>
  </xsl:template>

  <xsl:template match="billing_address | shipping_address">
    <xsl:param name="element"/>
    <xsl:element name="{$element}">
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Forename'"/>
        <xsl:with-param name="value" select="firstname"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Surname'"/>
        <xsl:with-param name="value" select="lastname"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Company'"/>
        <xsl:with-param name="value" select="company"/>
      </xsl:call-template>
      <!-- Magento keeps the street as lines: the first is Address1, the rest Address2. -->
      <xsl:variable name="street" select="normalize-space(substring-before(concat(street, '&#10;'), '&#10;'))"/>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Address1'"/>
        <xsl:with-param name="value" select="$street"/>
      </xsl:call-template>
      <xsl:variable name="rest">
        <xsl:call-template name="join-lines">
          <xsl:with-param name="lines" select="substring-after(street, '&#10;')"/>
        </xsl:call-template>
      </xsl:variable>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Address2'"/>
        <xsl:with-param name="value" select="$rest"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Town'"/>
        <xsl:with-param name="value" select="city"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'County'"/>
        <xsl:with-param name="value" select="region"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Postcode'"/>
        <xsl:with-param name="value" select="postcode"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Country'"/>
        <xsl:with-param name="value" select="country_id"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Telephone'"/>
        <xsl:with-param name="value" select="telephone"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Fax'"/>
        <xsl:with-param name="value" select="fax"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Email'"/>
        <xsl:with-param name="value" select="../customer_email"/>
      </xsl:call-template>
    </xsl:element>
  </xsl:template>

  <xsl:template match="OrderProduct">
    <Item>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Id'"/>
        <xsl:with-param name="value" select="item_id"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Sku'"/>
        <xsl:with-param name="value" select="sku"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Name'"/>
        <xsl:with-param name="value" select="name"/>
      </xsl:call-template>
      <xsl:call-template name="number">
        <xsl:with-param name="name" select="'QtyOrdered'"/>
        <xsl:with-param name="value" select="qty_ordered"/>
      </xsl:call-template>
      <xsl:call-template name="number">
        <xsl:with-param name="name" select="'UnitPrice'"/>
        <xsl:with-param name="value" select="price"/>
      </xsl:call-template>
      <!-- Magento gives the line's discount in total; Zynk wants it per unit. -->
      <xsl:if test="number(discount_amount) &gt; 0 and number(qty_ordered) &gt; 0">
        <UnitDiscountAmount><xsl:value-of select="round(discount_amount div qty_ordered * 10000) div 10000"/></UnitDiscountAmount>
      </xsl:if>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'TaxCode'"/>
        <xsl:with-param name="value" select="$TaxCode"/>
      </xsl:call-template>
    </Item>
  </xsl:template>

  <!-- Lines of a multi-line value joined with ", ", blank lines dropped. -->
  <xsl:template name="join-lines">
    <xsl:param name="lines"/>
    <xsl:variable name="first" select="normalize-space(substring-before(concat($lines, '&#10;'), '&#10;'))"/>
    <xsl:variable name="rest" select="substring-after($lines, '&#10;')"/>
    <xsl:value-of select="$first"/>
    <xsl:if test="normalize-space($rest) != ''">
      <xsl:if test="$first != ''">, </xsl:if>
      <xsl:call-template name="join-lines">
        <xsl:with-param name="lines" select="$rest"/>
      </xsl:call-template>
    </xsl:if>
  </xsl:template>

  <!-- <name>value</name>, left out when the value is empty. -->
  <xsl:template name="text">
    <xsl:param name="name"/>
    <xsl:param name="value"/>
    <xsl:if test="normalize-space($value) != ''">
      <xsl:element name="{$name}"><xsl:value-of select="normalize-space($value)"/></xsl:element>
    </xsl:if>
  </xsl:template>

  <!-- <name>number</name> in invariant form (14.1200 becomes 14.12), left out unless numeric. -->
  <xsl:template name="number">
    <xsl:param name="name"/>
    <xsl:param name="value"/>
    <xsl:if test="number($value) = number($value)">
      <xsl:element name="{$name}"><xsl:value-of select="number($value)"/></xsl:element>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
