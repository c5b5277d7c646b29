<!DOCTYPE xsl:stylesheet [<!ENTITY nbsp "&#160;"><!ENTITY co "Zynk Ltd">]>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/">&co;&nbsp;|<xsl:value-of select="string-length('&nbsp;')"/></xsl:template>
</xsl:stylesheet>
