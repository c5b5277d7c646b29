<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="/orders/order[1]" mode="m"/></xsl:template><xsl:template match="price" mode="m">{<xsl:value-of select="."/>}</xsl:template><xsl:template match="text()" mode="m"/>
</xsl:stylesheet>
