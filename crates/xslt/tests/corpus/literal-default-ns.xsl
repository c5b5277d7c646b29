<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns="urn:default-out">

<xsl:template match="/"><root><xsl:apply-templates select="//customer"/></root></xsl:template>
<xsl:template match="customer"><cust ref="{@ref}"/><xsl:element name="made"/></xsl:template>
</xsl:stylesheet>
