<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:template match="line">[base line <xsl:value-of select="@sku"/>]<xsl:call-template name="hook"/></xsl:template>
<xsl:template match="line" mode="m">[base m line]</xsl:template>
<xsl:template match="price">[base price <xsl:value-of select="."/>]</xsl:template>
<xsl:template name="hook">[base hook]</xsl:template>
<xsl:template name="lib-apply">[lib-apply]<xsl:apply-imports/></xsl:template>
</xsl:stylesheet>
