<?xml version="1.0" encoding="utf-8"?>
<!--
  Auto Mapper built-in: Amazon Marketplace orders -> Zynk XML sales orders (catalogue 2.12, 2.15).
  Input:  Orders/Order with ShippingAddress, OrderTotal and OrderItems/OrderItem, as the Amazon
          "Download Orders" task writes them (the MWS ListOrders / ListOrderItems fields). Fields
          are read as attributes or as child elements, money as @CurrencyCode/@Amount or as
          CurrencyCode/Amount children, so both serialisations of the order work.
  Output: Company/SalesOrders/SalesOrder (catalogue 3.4). Empty values are left out.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:strip-space elements="*"/>

  <xsl:param name="AccountReference" select="'AMAZONSALES'"/>
  <!-- Put in front of the Amazon order id to make the customer order number. -->
  <xsl:param name="OrderNumberPrefix" select="''"/>
  <xsl:param name="TaxCode" select="'1'"/>
  <!-- VAT rate (percent) of TaxCode, used to move prices between gross and net. -->
  <xsl:param name="TaxRate" select="'20'"/>
  <xsl:param name="NominalCode" select="'5000'"/>
  <xsl:param name="CarriageCode" select="'CARRIAGE'"/>
  <!-- 'true': shipping becomes an order line (Sku ShippingSku, else CarriageCode) instead of
       the order's carriage. -->
  <xsl:param name="CarriageAsItemLine" select="'false'"/>
  <xsl:param name="ShippingSku" select="''"/>
  <xsl:param name="TakenBy" select="'Amazon_Zynk'"/>
  <!-- Whether Amazon's item / shipping prices include VAT, and whether the Sage order is
       VAT inclusive. Prices are converted when the two differ. -->
  <xsl:param name="VATInclusiveItem" select="'true'"/>
  <xsl:param name="VATInclusiveCarriage" select="'true'"/>
  <xsl:param name="VATInclusiveOrder" select="'true'"/>
  <xsl:param name="AddPaymentDetails" select="'true'"/>
  <xsl:param name="BankAccount" select="'1200'"/>
  <xsl:param name="PaymentMethod" select="'PayPal'"/>

  <xsl:variable name="gross" select="1 + number($TaxRate) div 100"/>

  <xsl:template match="/">
    <Company xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
      <SalesOrders>
        <xsl:apply-templates select="Orders/Order"/>
      </SalesOrders>
    </Company>
  </xsl:template>

  <xsl:template match="Order">
    <xsl:variable name="id" select="normalize-space((@AmazonOrderId | AmazonOrderId)[1])"/>
    <xsl:variable name="currency" select="normalize-space((OrderTotal/@CurrencyCode | OrderTotal/CurrencyCode)[1])"/>
    <xsl:variable name="shipping" select="sum(OrderItems/OrderItem/ShippingPrice/@Amount | OrderItems/OrderItem/ShippingPrice/Amount)
                                         - sum(OrderItems/OrderItem/ShippingDiscount/@Amount | OrderItems/OrderItem/ShippingDiscount/Amount)"/>
    <xsl:variable name="carriage">
      <xsl:call-template name="price">
        <xsl:with-param name="amount" select="$shipping"/>
        <xsl:with-param name="inclusive" select="$VATInclusiveCarriage"/>
      </xsl:call-template>
    </xsl:variable>
    <SalesOrder>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Id'"/>
        <xsl:with-param name="value" select="$id"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'CustomerId'"/>
        <xsl:with-param name="value" select="$id"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'AccountReference'"/>
        <xsl:with-param name="value" select="$AccountReference"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'SalesOrderNumber'"/>
        <xsl:with-param name="value" select="$id"/>
      </xsl:call-template>
      <xsl:if test="$id != ''">
        <CustomerOrderNumber><xsl:value-of select="concat($OrderNumberPrefix, $id)"/></CustomerOrderNumber>
      </xsl:if>
      <xsl:call-template name="date">
        <xsl:with-param name="date" select="normalize-space((@PurchaseDate | PurchaseDate)[1])"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Currency'"/>
        <xsl:with-param name="value" select="$currency"/>
      </xsl:call-template>
      <xsl:if test="$currency != ''">
        <CurrencyUsed><xsl:value-of select="$currency != 'GBP'"/></CurrencyUsed>
      </xsl:if>
      <xsl:if test="$VATInclusiveOrder = 'true' or $VATInclusiveOrder = 'false'">
        <VatInclusive><xsl:value-of select="$VATInclusiveOrder"/></VatInclusive>
      </xsl:if>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'TakenBy'"/>
        <xsl:with-param name="value" select="$TakenBy"/>
      </xsl:call-template>
      <!-- Amazon gives one address: it is both the invoice and the delivery address. -->
      <xsl:apply-templates select="ShippingAddress">
        <xsl:with-param name="element" select="'SalesOrderAddress'"/>
      </xsl:apply-templates>
      <xsl:apply-templates select="ShippingAddress">
        <xsl:with-param name="element" select="'SalesOrderDeliveryAddress'"/>
      </xsl:apply-templates>
      <SalesOrderItems>
        <xsl:apply-templates select="OrderItems/OrderItem"/>
        <xsl:if test="$CarriageAsItemLine = 'true'">
          <Item>
            <Sku>
              <xsl:choose>
                <xsl:when test="normalize-space($ShippingSku) != ''"><xsl:value-of select="normalize-space($ShippingSku)"/></xsl:when>
                <xsl:otherwise><xsl:value-of select="$CarriageCode"/></xsl:otherwise>
              </xsl:choose>
            </Sku>
            <xsl:call-template name="text">
              <xsl:with-param name="name" select="'Name'"/>
              <xsl:with-param name="value" select="(@ShipServiceLevel | ShipServiceLevel)[1]"/>
            </xsl:call-template>
            <QtyOrdered>1</QtyOrdered>
            <UnitPrice><xsl:value-of select="$carriage"/></UnitPrice>
            <xsl:call-template name="codes"/>
          </Item>
        </xsl:if>
      </SalesOrderItems>
      <xsl:if test="$CarriageAsItemLine != 'true'">
        <Carriage>
          <xsl:call-template name="text">
            <xsl:with-param name="name" select="'Sku'"/>
            <xsl:with-param name="value" select="$CarriageCode"/>
          </xsl:call-template>
          <xsl:call-template name="text">
            <xsl:with-param name="name" select="'Name'"/>
            <xsl:with-param name="value" select="(@ShipServiceLevel | ShipServiceLevel)[1]"/>
          </xsl:call-template>
          <QtyOrdered>1</QtyOrdered>
          <UnitPrice><xsl:value-of select="$carriage"/></UnitPrice>
          <xsl:call-template name="codes"/>
        </Carriage>
      </xsl:if>
      <xsl:if test="$AddPaymentDetails = 'true'">
        <PaymentRef>
          <xsl:choose>
            <xsl:when test="normalize-space($PaymentMethod) != ''"><xsl:value-of select="normalize-space($PaymentMethod)"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="$id"/></xsl:otherwise>
          </xsl:choose>
        </PaymentRef>
        <xsl:call-template name="text">
          <xsl:with-param name="name" select="'BankAccount'"/>
          <xsl:with-param name="value" select="$BankAccount"/>
        </xsl:call-template>
        <xsl:variable name="total" select="number((OrderTotal/@Amount | OrderTotal/Amount)[1])"/>
        <xsl:if test="$total = $total">
          <PaymentAmount><xsl:value-of select="$total"/></PaymentAmount>
        </xsl:if>
      </xsl:if>
    </SalesOrder>
  </xsl:template>

  <xsl:template match="ShippingAddress">
    <xsl:param name="element"/>
    <xsl:variable name="name" select="(@Name | Name)[1]"/>
    <xsl:element name="{$element}">
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Forename'"/>
        <xsl:with-param name="value" select="$name"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Company'"/>
        <xsl:with-param name="value" select="$name"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Address1'"/>
        <xsl:with-param name="value" select="(@AddressLine1 | AddressLine1)[1]"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Address2'"/>
        <xsl:with-param name="value" select="(@AddressLine2 | AddressLine2)[1]"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Address3'"/>
        <xsl:with-param name="value" select="(@AddressLine3 | AddressLine3)[1]"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Town'"/>
        <xsl:with-param name="value" select="(@City | City)[1]"/>
      </xsl:call-template>
      <!-- UK addresses use County; other marketplaces StateOrRegion. -->
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'County'"/>
        <xsl:with-param name="value">
          <xsl:choose>
            <xsl:when test="normalize-space((@County | County)[1]) != ''"><xsl:value-of select="(@County | County)[1]"/></xsl:when>
            <xsl:otherwise><xsl:value-of select="(@StateOrRegion | StateOrRegion)[1]"/></xsl:otherwise>
          </xsl:choose>
        </xsl:with-param>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Postcode'"/>
        <xsl:with-param name="value" select="(@PostalCode | PostalCode)[1]"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Country'"/>
        <xsl:with-param name="value" select="(@CountryCode | CountryCode)[1]"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Telephone'"/>
        <xsl:with-param name="value" select="(@Phone | Phone)[1]"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Email'"/>
        <xsl:with-param name="value" select="(../@BuyerEmail | ../BuyerEmail)[1]"/>
      </xsl:call-template>
    </xsl:element>
  </xsl:template>

  <xsl:template match="OrderItem">
    <xsl:variable name="qty" select="number((@QuantityOrdered | QuantityOrdered)[1])"/>
    <Item>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Id'"/>
        <xsl:with-param name="value" select="(@OrderItemId | OrderItemId)[1]"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Sku'"/>
        <xsl:with-param name="value" select="(@SellerSKU | SellerSKU)[1]"/>
      </xsl:call-template>
      <xsl:call-template name="text">
        <xsl:with-param name="name" select="'Name'"/>
        <xsl:with-param name="value" select="(@Title | Title)[1]"/>
      </xsl:call-template>
      <xsl:if test="$qty = $qty">
        <QtyOrdered><xsl:value-of select="$qty"/></QtyOrdered>
      </xsl:if>
      <!-- Amazon's ItemPrice is for the whole line (price times quantity); Zynk wants the unit price. -->
      <xsl:if test="$qty &gt; 0">
        <UnitPrice>
          <xsl:call-template name="price">
            <xsl:with-param name="amount" select="sum(ItemPrice/@Amount | ItemPrice/Amount) div $qty"/>
            <xsl:with-param name="inclusive" select="$VATInclusiveItem"/>
          </xsl:call-template>
        </UnitPrice>
        <xsl:variable name="promotion" select="sum(PromotionDiscount/@Amount | PromotionDiscount/Amount)"/>
        <xsl:if test="$promotion &gt; 0">
          <UnitDiscountAmount>
            <xsl:call-template name="price">
              <xsl:with-param name="amount" select="$promotion div $qty"/>
              <xsl:with-param name="inclusive" select="$VATInclusiveItem"/>
            </xsl:call-template>
          </UnitDiscountAmount>
        </xsl:if>
      </xsl:if>
      <xsl:call-template name="codes"/>
    </Item>
  </xsl:template>

  <!-- NominalCode and TaxCode of a line, each left out when its parameter is empty. -->
  <xsl:template name="codes">
    <xsl:call-template name="text">
      <xsl:with-param name="name" select="'NominalCode'"/>
      <xsl:with-param name="value" select="$NominalCode"/>
    </xsl:call-template>
    <xsl:call-template name="text">
      <xsl:with-param name="name" select="'TaxCode'"/>
      <xsl:with-param name="value" select="$TaxCode"/>
    </xsl:call-template>
  </xsl:template>

  <!-- An Amazon amount as the Sage order wants it: net or gross by the VATInclusive*
       parameters, rounded to 4 decimal places. -->
  <xsl:template name="price">
    <xsl:param name="amount"/>
    <xsl:param name="inclusive"/>
    <xsl:variable name="converted">
      <xsl:choose>
        <xsl:when test="$inclusive = 'true' and $VATInclusiveOrder != 'true' and $gross = $gross">
          <xsl:value-of select="$amount div $gross"/>
        </xsl:when>
        <xsl:when test="$inclusive != 'true' and $VATInclusiveOrder = 'true' and $gross = $gross">
          <xsl:value-of select="$amount * $gross"/>
        </xsl:when>
        <xsl:otherwise><xsl:value-of select="$amount"/></xsl:otherwise>
      </xsl:choose>
    </xsl:variable>
    <xsl:value-of select="round($converted * 10000) div 10000"/>
  </xsl:template>

  <!-- Zynk's Amazon download writes dd/MM/yyyy HH:mm:ss; the MWS API writes ISO 8601 in UTC
       (2014-05-15T10:23:45Z or with milliseconds). Both become yyyy-MM-ddTHH:mm:ss. -->
  <xsl:template name="date">
    <xsl:param name="date"/>
    <xsl:choose>
      <xsl:when test="substring($date, 3, 1) = '/' and substring($date, 6, 1) = '/'">
        <xsl:variable name="time" select="substring($date, 12, 8)"/>
        <SalesOrderDate>
          <xsl:value-of select="concat(substring($date, 7, 4), '-', substring($date, 4, 2), '-', substring($date, 1, 2), 'T')"/>
          <xsl:choose>
            <xsl:when test="string-length($time) = 8"><xsl:value-of select="$time"/></xsl:when>
            <xsl:otherwise>00:00:00</xsl:otherwise>
          </xsl:choose>
        </SalesOrderDate>
      </xsl:when>
      <xsl:when test="substring($date, 5, 1) = '-' and substring($date, 11, 1) = 'T'">
        <SalesOrderDate><xsl:value-of select="substring($date, 1, 19)"/></SalesOrderDate>
      </xsl:when>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="text">
    <xsl:param name="name"/>
    <xsl:param name="value"/>
    <xsl:if test="normalize-space($value) != ''">
      <xsl:element name="{$name}"><xsl:value-of select="normalize-space($value)"/></xsl:element>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
