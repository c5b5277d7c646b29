<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/">
<xsl:variable name="sub" select="document('sub/_sub-doc.xml')"/>
<xsl:value-of select="count(document($sub//ref))"/>|<xsl:value-of select="document($sub//ref[2])"/>|<xsl:value-of select="document('_sub-other.xml', $sub)"/>|<xsl:value-of select="count(document('_input.xml', $sub))"/>|<xsl:value-of select="count(document('../_input.xml#o1', $sub)/line)"/>|<xsl:value-of select="document('sub/_sub-doc.xml#s')/ref[2]"/>|<xsl:value-of select="count(document('sub/_sub-doc.xml') | $sub)"/>
</xsl:template>
</xsl:stylesheet>
