<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="xml"/>
<xsl:template match="/"><r><xsl:value-of select="//line[@sku='B7']/name"/>|<xsl:value-of select="//line[@sku='B7']/name" disable-output-escaping="yes"/>|<xsl:text disable-output-escaping="yes">&lt;raw/&gt;</xsl:text>|<xsl:text>&lt;esc/&gt;</xsl:text></r></xsl:template>
</xsl:stylesheet>
