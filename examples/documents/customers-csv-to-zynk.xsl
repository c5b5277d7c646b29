<?xml version="1.0" encoding="utf-8"?>
<!-- The rows csv-to-xml made of a customer CSV (Customers/Customer, one element per column) as
     Zynk XML customers, for sage50-import-customers (examples/csv-to-sage.yaml). -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="xml" indent="yes" encoding="utf-8"/>
  <xsl:template match="/">
    <Company>
      <Customers>
        <xsl:for-each select="Customers/Customer">
          <Customer>
            <AccountReference><xsl:value-of select="Account"/></AccountReference>
            <CompanyName><xsl:value-of select="Company"/></CompanyName>
            <CustomerInvoiceAddress>
              <Forename><xsl:value-of select="Forename"/></Forename>
              <Surname><xsl:value-of select="Surname"/></Surname>
              <Company><xsl:value-of select="Company"/></Company>
              <Address1><xsl:value-of select="Street"/></Address1>
              <Town><xsl:value-of select="Town"/></Town>
              <Postcode><xsl:value-of select="Postcode"/></Postcode>
              <Country>GB</Country>
              <Email><xsl:value-of select="Email_x0020_Address"/></Email>
            </CustomerInvoiceAddress>
          </Customer>
        </xsl:for-each>
      </Customers>
    </Company>
  </xsl:template>
</xsl:stylesheet>
