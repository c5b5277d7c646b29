<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><xsl:for-each select="//customer"><xsl:element name="c-{@ref}"><xsl:attribute name="{name(*[2])}"><xsl:value-of select="*[2]"/></xsl:attribute></xsl:element></xsl:for-each></xsl:template>
</xsl:stylesheet>
