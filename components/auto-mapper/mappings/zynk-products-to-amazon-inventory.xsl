<?xml version="1.0" encoding="utf-8"?>
<!--
  Auto Mapper built-in: Zynk XML products (a Sage 50 stock export) -> Amazon inventory feed
  (catalogue 2.12, 2.15 "Upload Inventory Feed"): an AmazonEnvelope with MessageType Inventory
  and one Update message per SKU. Quantity = free stock (QtyInStock - QtyAllocated) as a whole
  number, 0 when there is none: the feed takes non-negative integers only.
-->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:strip-space elements="*"/>

  <!-- The seller's Merchant ID (Merchant Token), required in the envelope header. -->
  <xsl:param name="MerchantID" select="''"/>

  <xsl:template match="/">
    <xsl:if test="normalize-space($MerchantID) = ''">
      <xsl:message terminate="yes">parameter MerchantID is empty: Amazon rejects a feed without the seller's Merchant ID</xsl:message>
    </xsl:if>
    <AmazonEnvelope xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:noNamespaceSchemaLocation="amzn-envelope.xsd">
      <Header>
        <DocumentVersion>1.01</DocumentVersion>
        <MerchantIdentifier><xsl:value-of select="normalize-space($MerchantID)"/></MerchantIdentifier>
      </Header>
      <MessageType>Inventory</MessageType>
      <xsl:for-each select="Company/Products/Product[normalize-space(Sku) != '']">
        <xsl:variable name="free" select="floor(sum(QtyInStock[number(.) = number(.)]) - sum(QtyAllocated[number(.) = number(.)]))"/>
        <Message>
          <MessageID><xsl:value-of select="position()"/></MessageID>
          <OperationType>Update</OperationType>
          <Inventory>
            <SKU><xsl:value-of select="normalize-space(Sku)"/></SKU>
            <Quantity>
              <xsl:choose>
                <xsl:when test="$free &gt; 0"><xsl:value-of select="$free"/></xsl:when>
                <xsl:otherwise>0</xsl:otherwise>
              </xsl:choose>
            </Quantity>
          </Inventory>
        </Message>
      </xsl:for-each>
    </AmazonEnvelope>
  </xsl:template>
</xsl:stylesheet>
