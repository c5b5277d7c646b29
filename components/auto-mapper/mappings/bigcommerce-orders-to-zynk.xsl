<?xml version="1.0" encoding="utf-8"?>
<!--
  Auto Mapper built-in: BigCommerce (API v2) orders -> Zynk XML sales orders (catalogue 2.12).
  Input:  orders/order, as written by the BigCommerce "Export Orders" task.
  Output: Company/SalesOrders/SalesOrder (catalogue 3.4). Empty values are left out.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:strip-space elements="*"/>

  <!-- "All sales to a single account": 'true' posts every order to AccountReference;
       otherwise only guest orders (customer_id 0) do and the others are matched by CustomerId. -->
  <xsl:param name="WebSales" select="'true'"/>
  <xsl:param name="AccountReference" select="'WEBSALES'"/>
  <xsl:param name="BankAccount" select="'1200'"/>

  <xsl:variable name="months" select="'JanFebMarAprMayJunJulAugSepOctNovDec'"/>

  <xsl:template match="/">
    <Company xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
      <SalesOrders>
        <xsl:apply-templates select="orders/order"/>
      </SalesOrders>
    </Company>
  </xsl:template>

  <xsl:template match="order">
    <xsl:variable name="guest" select="normalize-space(customer_id) = '' or number(customer_id) = 0"/>
    <SalesOrder>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Id'"/>
        <xsl:with-param name="value" select="id"/>
      </xsl:call-template>
      <xsl:if test="not($guest)">
        <CustomerId><xsl:value-of select="normalize-space(customer_id)"/></CustomerId>
      </xsl:if>
      <xsl:if test="$WebSales = 'true' or $guest">
        <xsl:call-template name="text">
          <xsl:with-param name="name" select="'AccountReference'"/>
          <xsl:with-param name="value" select="$AccountReference"/>
        </xsl:call-template>
      </xsl:if>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'SalesOrderNumber'"/>
        <xsl:with-param name="value" select="id"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'CustomerOrderNumber'"/>
        <xsl:with-param name="value" select="id"/>
      </xsl:call-template>
      <xsl:call-template name="rfc1123-date">
        <xsl:with-param name="date" select="date_created"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Currency'"/>
        <xsl:with-param name="value" select="currency_code"/>
      </xsl:call-template>
      <xsl:if test="normalize-space(currency_code) != ''">
        <CurrencyUsed><xsl:value-of select="normalize-space(currency_code) != 'GBP'"/></CurrencyUsed>
      </xsl:if>
      <TakenBy>BigCommerce</TakenBy>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Notes1'"/>
        <xsl:with-param name="value" select="customer_message"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Notes2'"/>
        <xsl:with-param name="value" select="staff_notes"/>
      </xsl:call-template>
      <xsl:apply-templates select="billing_address">
        <xsl:with-param name="element" select="'SalesOrderAddress'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="shipping_addresses/address[1]">
        <xsl:with-param name="element" select="'SalesOrderDeliveryAddress'"/>
      </xsl:apply-templates>
      <SalesOrderItems>
        <xsl:apply-templates select="products/product"/>
      </SalesOrderItems>
      <Carriage>
        <xsl:call-template name="text">
          <xsl:with-param name="name" select="'Name'"/>
          <xsl:with-param name="value" select="shipping_addresses/address[1]/shipping_method"/>
        </xsl:call-template>
        <QtyOrdered>1</QtyOrdered>
        <xsl:call-template name="number">
          <xsl:with-param name="name" select="'UnitPrice'"/>
          <xsl:with-param name="value" select="shipping_cost_ex_tax"/>
        </xsl:call-template>
        <xsl:call-template name="tax-code">
          <xsl:with-param name="tax" select="shipping_cost_tax"/>
        </xsl:call-template>
      </Carriage>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'BankAccount'"/>
        <xsl:with-param name="value" select="$BankAccount"/>
      </xsl:call-template>
      <xsl:call-template name="number">
        <xsl:with-param name="name" select="'PaymentAmount'"/>
        <xsl:with-param name="value" select="total_inc_tax"/>
      </xsl:call-template>
    </SalesOrder>
  </xsl:template>

  <xsl:template match="billing_address | address">
    <xsl:param name="element"/>
    <xsl:element name="{$element}">
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Forename'"/>
        <xsl:with-param name="value" select="first_name"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Surname'"/>
        <xsl:with-param name="value" select="last_name"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Company'"/>
        <xsl:with-param name="value" select="company"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Address1'"/>
        <xsl:with-param name="value" select="street_1"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Address2'"/>
        <xsl:with-param name="value" select="street_2"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Town'"/>
        <xsl:with-param name="value" select="city"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'County'"/>
        <xsl:with-param name="value" select="state"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Postcode'"/>
        <xsl:with-param name="value" select="zip"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Country'"/>
        <xsl:with-param name="value" select="country_iso2"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Telephone'"/>
        <xsl:with-param name="value" select="phone"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Email'"/>
        <xsl:with-param name="value" select="email"/>
      </xsl:call-template>
    </xsl:element>
  </xsl:template>

  <xsl:template match="product">
    <Item>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Id'"/>
        <xsl:with-param name="value" select="id"/>
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
        <xsl:with-param name="value" select="quantity"/>
      </xsl:call-template>
      <xsl:call-template name="number">
        <xsl:with-param name="name" select="'UnitPrice'"/>
        <xsl:with-param name="value" select="price_ex_tax"/>
      </xsl:call-template>
      <!-- BigCommerce lists the discounts applied to the whole line; Zynk wants them per unit. -->
      <xsl:variable name="discount" select="sum(applied_discounts/discount/amount)"/>
      <xsl:if test="$discount &gt; 0 and number(quantity) &gt; 0">
        <UnitDiscountAmount><xsl:value-of select="round($discount div quantity * 10000) div 10000"/></UnitDiscountAmount>
      </xsl:if>
      <xsl:call-template name="tax-code">
        <xsl:with-param name="tax" select="price_tax"/>
      </xsl:call-template>
    </Item>
  </xsl:template>

  <!-- Sage T1 (standard) when BigCommerce charged tax, else T0. -->
  <xsl:template name="tax-code">
    <xsl:param name="tax"/>
    <TaxCode>
      <xsl:choose>
        <xsl:when test="number($tax) &gt; 0">1</xsl:when>
        <xsl:otherwise>0</xsl:otherwise>
      </xsl:choose>
    </TaxCode>
  </xsl:template>

  <!-- "Fri, 09 Aug 2013 13:18:20 +0000" -> <SalesOrderDate>2013-08-09T13:18:20</SalesOrderDate>:
       the shop's local time as shown to the customer. Anything else is left out (Sage then
       uses today), rather than sending Sage a date it cannot read. -->
  <xsl:template name="rfc1123-date">
    <xsl:param name="date"/>
    <xsl:variable name="s" select="normalize-space(substring-after($date, ','))"/>
    <xsl:variable name="day" select="substring-before($s, ' ')"/>
    <xsl:variable name="s2" select="substring-after($s, ' ')"/>
    <xsl:variable name="mon" select="substring-before($s2, ' ')"/>
    <xsl:variable name="s3" select="substring-after($s2, ' ')"/>
    <xsl:variable name="year" select="substring-before($s3, ' ')"/>
    <xsl:variable name="time" select="substring-before(concat(substring-after($s3, ' '), ' '), ' ')"/>
    <xsl:variable name="m" select="(string-length(substring-before($months, $mon)) div 3) + 1"/>
    <xsl:if test="string-length($mon) = 3 and contains($months, $mon)
                  and string-length(substring-before($months, $mon)) mod 3 = 0 and number($day) = number($day)
                  and string-length($year) = 4 and string-length($time) = 8">
      <SalesOrderDate>
        <xsl:value-of select="concat($year, '-', format-number($m, '00'), '-', format-number($day, '00'), 'T', $time)"/>
      </SalesOrderDate>
    </xsl:if>
  </xsl:template>

  <xsl:template name="text">
    <xsl:param name="name"/>
    <xsl:param name="value"/>
    <xsl:if test="normalize-space($value) != ''">
      <xsl:element name="{$name}"><xsl:value-of select="normalize-space($value)"/></xsl:element>
    </xsl:if>
  </xsl:template>

  <xsl:template name="number">
    <xsl:param name="name"/>
    <xsl:param name="value"/>
    <xsl:if test="number($value) = number($value)">
      <xsl:element name="{$name}"><xsl:value-of select="number($value)"/></xsl:element>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
