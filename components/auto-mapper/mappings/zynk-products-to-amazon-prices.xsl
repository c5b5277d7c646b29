<?xml version="1.0" encoding="utf-8"?>
<!--
  Auto Mapper built-in: Zynk XML products (a Sage 50 stock export) -> Amazon price feed
  (catalogue 2.12, 2.15 "Upload Price Feed"): an AmazonEnvelope with MessageType Price and one
  message per SKU with its StandardPrice (Sage SalePrice, 2 decimal places) in Currency.
  Products without a sale price are left out rather than listed at 0.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:strip-space elements="*"/>

  <!-- The seller's Merchant ID (Merchant Token), required in the envelope header. -->
  <xsl:param name="MerchantID" select="''"/>
  <xsl:param name="Currency" select="'GBP'"/>

  <xsl:template match="/">
    <xsl:if test="normalize-space($MerchantID) = ''">
      <xsl:message terminate="yes">parameter MerchantID is empty: Amazon rejects a feed without the seller's Merchant ID</xsl:message>
    </xsl:if>
    <AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">
      <Header>
        <DocumentVersion>1.01</DocumentVersion>
        <MerchantIdentifier><xsl:value-of select="normalize-space($MerchantID)"/></MerchantIdentifier>
      </Header>
      <MessageType>Price</MessageType>
      <xsl:for-each select="Company/Products/Product[normalize-space(Sku) != ''][number(SalePrice) &gt; 0]">
        <Message>
          <MessageID><xsl:value-of select="position()"/></MessageID>
          <Price>
            <SKU><xsl:value-of select="normalize-space(Sku)"/></SKU>
            <StandardPrice currency="{normalize-space($Currency)}"><xsl:value-of select="format-number(SalePrice, '0.00')"/></StandardPrice>
          </Price>
        </Message>
      </xsl:for-each>
    </AmazonEnvelope>
  </xsl:template>
</xsl:stylesheet>
