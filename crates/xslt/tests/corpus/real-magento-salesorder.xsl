<?xml version="1.0" encoding="utf-8"?>
<!-- Magento V1 order download -> Zynk SalesOrder (catalogue 2.12, Downloading-Orders-from-Magento). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" exclude-result-prefixes="xsi">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:strip-space elements="*"/>

  <xsl:param name="AccountReference" select="'WEBSALES'"/>
  <xsl:param name="BankAccount" select="'1200'"/>
  <xsl:param name="TaxCode" select="'1'"/>

  <xsl:key name="field" match="Field" use="concat(generate-id(..), '|', @Name)"/>

  <xsl:template match="/">
    <Company>
      <SalesOrders>
        <xsl:apply-templates select="ArrayOfOrderInfo/OrderInfo"/>
      </SalesOrders>
    </Company>
  </xsl:template>

  <xsl:template match="OrderInfo">
    <SalesOrder>
      <Id><xsl:value-of select="order_id"/></Id>
      <CustomerId><xsl:value-of select="customer_id"/></CustomerId>
      <AccountReference><xsl:value-of select="$AccountReference"/></AccountReference>
      <SalesOrderNumber><xsl:value-of select="increment_id"/></SalesOrderNumber>
      <CustomerOrderNumber><xsl:value-of select="increment_id"/></CustomerOrderNumber>
      <SalesOrderDate><xsl:value-of select="translate(created_at, ' ', 'T')"/></SalesOrderDate>
      <Notes1><xsl:value-of select="key('field', concat(generate-id(Fields), '|customer_note'))/@Value"/></Notes1>
      <xsl:apply-templates select="billing_address">
        <xsl:with-param name="element" select="'SalesOrderAddress'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="shipping_address">
        <xsl:with-param name="element" select="'SalesOrderDeliveryAddress'"/>
      </xsl:apply-templates>
      <SalesOrderItems>
        <xsl:for-each select="items/OrderProduct[product_type != 'configurable' or not(product_type)]">
          <Item>
            <Sku><xsl:value-of select="sku"/></Sku>
            <Name><xsl:value-of select="normalize-space(name)"/></Name>
            <QtyOrdered><xsl:value-of select="number(qty_ordered)"/></QtyOrdered>
            <UnitPrice><xsl:value-of select="format-number(price, '0.00')"/></UnitPrice>
            <TaxCode><xsl:value-of select="$TaxCode"/></TaxCode>
            <TaxRate><xsl:value-of select="format-number(tax_percent, '0.##')"/></TaxRate>
          </Item>
        </xsl:for-each>
      </SalesOrderItems>
      <Carriage>
        <Sku><xsl:value-of select="shipping_method"/></Sku>
        <Name><xsl:value-of select="shipping_description"/></Name>
        <QtyOrdered>1</QtyOrdered>
        <UnitPrice><xsl:value-of select="format-number(shipping_amount, '0.00')"/></UnitPrice>
      </Carriage>
      <Currency><xsl:value-of select="order_currency_code"/></Currency>
      <CurrencyUsed><xsl:value-of select="order_currency_code != 'GBP'"/></CurrencyUsed>
      <TakenBy>Magento</TakenBy>
      <NetValue><xsl:value-of select="format-number(subtotal, '#,##0.00')"/></NetValue>
      <ItemCount><xsl:value-of select="count(items/OrderProduct)"/></ItemCount>
      <PaymentRef><xsl:value-of select="payment/method"/></PaymentRef>
      <PaymentAmount><xsl:value-of select="payment/amount_ordered"/></PaymentAmount>
      <BankAccount><xsl:value-of select="$BankAccount"/></BankAccount>
    </SalesOrder>
  </xsl:template>

  <xsl:template match="billing_address | shipping_address">
    <xsl:param name="element"/>
    <xsl:element name="{$element}">
      <Forename><xsl:value-of select="firstname"/></Forename>
      <Surname><xsl:value-of select="lastname"/></Surname>
      <Company><xsl:value-of select="company"/></Company>
      <xsl:call-template name="street">
        <xsl:with-param name="street" select="street"/>
      </xsl:call-template>
      <Town><xsl:value-of select="city"/></Town>
      <County><xsl:value-of select="region"/></County>
      <Postcode><xsl:value-of select="postcode"/></Postcode>
      <Country><xsl:value-of select="country_id"/></Country>
      <Telephone><xsl:value-of select="telephone"/></Telephone>
      <Email><xsl:value-of select="../customer_email"/></Email>
    </xsl:element>
  </xsl:template>

  <!-- First line of a multi-line street -> Address1, the rest joined with ", " -> Address2. -->
  <xsl:template name="street">
    <xsl:param name="street"/>
    <xsl:choose>
      <xsl:when test="contains($street, '&#10;')">
        <Address1><xsl:value-of select="substring-before($street, '&#10;')"/></Address1>
        <Address2><xsl:value-of select="translate(substring-after($street, '&#10;'), '&#10;', ',')"/></Address2>
      </xsl:when>
      <xsl:otherwise>
        <Address1><xsl:value-of select="$street"/></Address1>
        <Address2/>
      </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
