<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="line">[imported line <xsl:value-of select="@sku"/>]</xsl:template>
<xsl:template match="price">[imported price]</xsl:template>
<xsl:template match="shipping">[imported shipping]</xsl:template>
<xsl:variable name="who" select="'imported'"/>
<xsl:template name="named">imported-named</xsl:template>
</xsl:stylesheet>
