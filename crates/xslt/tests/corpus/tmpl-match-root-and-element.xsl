<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/">R<xsl:apply-templates/></xsl:template><xsl:template match="orders">O<xsl:value-of select="count(*)"/></xsl:template>
</xsl:stylesheet>
