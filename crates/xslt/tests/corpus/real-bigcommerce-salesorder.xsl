<?xml version="1.0" encoding="utf-8"?>
<!-- BigCommerce order download -> Zynk SalesOrder (catalogue 2.12, Downloading-Orders-from-BigCommerce). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes"/>
  <xsl:strip-space elements="*"/>
  <xsl:param name="WebSales" select="'true'"/>
  <xsl:param name="AccountReference" select="'WEBSALES'"/>
  <xsl:param name="BankAccount" select="'1200'"/>

  <xsl:variable name="months" select="'JanFebMarAprMayJunJulAugSepOctNovDec'"/>

  <xsl:template match="/orders">
    <Company>
      <SalesOrders>
        <xsl:apply-templates select="order"/>
      </SalesOrders>
    </Company>
  </xsl:template>

  <!-- "Fri, 09 Aug 2013 13:18:20 +0000" -> 2013-08-09T13:18:20 -->
  <xsl:template name="rfc-date">
    <xsl:param name="d"/>
    <xsl:variable name="rest" select="normalize-space(substring-after($d, ','))"/>
    <xsl:variable name="mon" select="(string-length(substring-before($months, substring($rest, 4, 3))) div 3) + 1"/>
    <xsl:value-of select="concat(substring($rest, 8, 4), '-', format-number($mon, '00'), '-', substring($rest, 1, 2), 'T', substring($rest, 13, 8))"/>
  </xsl:template>

  <xsl:template match="order">
    <SalesOrder>
      <Id><xsl:value-of select="id"/></Id>
      <CustomerId><xsl:value-of select="customer_id"/></CustomerId>
      <AccountReference>
        <xsl:if test="$WebSales = 'true' or customer_id = 0"><xsl:value-of select="$AccountReference"/></xsl:if>
      </AccountReference>
      <SalesOrderNumber><xsl:value-of select="id"/></SalesOrderNumber>
      <CustomerOrderNumber><xsl:value-of select="id"/></CustomerOrderNumber>
      <SalesOrderDate>
        <xsl:call-template name="rfc-date"><xsl:with-param name="d" select="date_created"/></xsl:call-template>
      </SalesOrderDate>
      <Currency><xsl:value-of select="currency_code"/></Currency>
      <CurrencyUsed><xsl:value-of select="currency_code != 'GBP'"/></CurrencyUsed>
      <Notes1><xsl:value-of select="customer_message"/></Notes1>
      <Notes2><xsl:value-of select="staff_notes"/></Notes2>
      <xsl:apply-templates select="billing_address" mode="address">
        <xsl:with-param name="name" select="'SalesOrderAddress'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="shipping_addresses/address[1]" mode="address">
        <xsl:with-param name="name" select="'SalesOrderDeliveryAddress'"/>
      </xsl:apply-templates>
      <SalesOrderItems>
        <xsl:for-each select="products/product">
          <xsl:variable name="discount" select="sum(applied_discounts/discount/amount)"/>
          <Item>
            <Id><xsl:value-of select="id"/></Id>
            <Sku><xsl:value-of select="sku"/></Sku>
            <Name><xsl:value-of select="name"/></Name>
            <QtyOrdered><xsl:value-of select="quantity"/></QtyOrdered>
            <UnitPrice><xsl:value-of select="format-number(price_ex_tax, '0.00')"/></UnitPrice>
            <UnitDiscountAmount><xsl:value-of select="format-number($discount div quantity, '0.00')"/></UnitDiscountAmount>
            <TaxCode><xsl:choose><xsl:when test="price_tax &gt; 0">1</xsl:when><xsl:otherwise>0</xsl:otherwise></xsl:choose></TaxCode>
          </Item>
        </xsl:for-each>
      </SalesOrderItems>
      <Carriage>
        <QtyOrdered>1</QtyOrdered>
        <UnitPrice><xsl:value-of select="format-number(shipping_cost_ex_tax, '0.00')"/></UnitPrice>
        <TaxAmount><xsl:value-of select="format-number(shipping_cost_tax, '0.00')"/></TaxAmount>
      </Carriage>
      <TakenBy>BigCommerce</TakenBy>
      <PaymentAmount><xsl:value-of select="format-number(total_inc_tax, '0.00')"/></PaymentAmount>
      <BankAccount><xsl:value-of select="$BankAccount"/></BankAccount>
    </SalesOrder>
  </xsl:template>

  <xsl:template match="*" mode="address">
    <xsl:param name="name"/>
    <xsl:element name="{$name}">
      <Forename><xsl:value-of select="first_name"/></Forename>
      <Surname><xsl:value-of select="last_name"/></Surname>
      <Company><xsl:value-of select="company"/></Company>
      <Address1><xsl:value-of select="street_1"/></Address1>
      <Address2><xsl:value-of select="street_2"/></Address2>
      <Town><xsl:value-of select="city"/></Town>
      <County><xsl:value-of select="state"/></County>
      <Postcode><xsl:value-of select="zip"/></Postcode>
      <Country><xsl:value-of select="country_iso2"/></Country>
      <Telephone><xsl:value-of select="phone"/></Telephone>
      <Email><xsl:value-of select="email"/></Email>
    </xsl:element>
  </xsl:template>
</xsl:stylesheet>
