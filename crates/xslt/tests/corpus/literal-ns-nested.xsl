<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:top="urn:top">

<xsl:template match="/"><a:root xmlns:a="urn:a"><a:child/><b:other xmlns:b="urn:b"><plain/></b:other><xsl:apply-templates select="//customer[1]"/></a:root></xsl:template>
<xsl:template match="customer"><c:cust xmlns:c="urn:c"><xsl:value-of select="@ref"/></c:cust></xsl:template>
</xsl:stylesheet>
