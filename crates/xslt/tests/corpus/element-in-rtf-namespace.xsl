<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:variable name="r"><xsl:element name="p:e" namespace="urn:p"><xsl:attribute name="q:a" namespace="urn:q">v</xsl:attribute></xsl:element></xsl:variable><xsl:template match="/"><out><xsl:copy-of select="$r"/></out></xsl:template>
</xsl:stylesheet>
