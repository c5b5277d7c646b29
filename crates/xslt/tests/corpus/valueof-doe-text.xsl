<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:value-of select="//line[@sku='B7']/name" disable-output-escaping="yes"/>|<xsl:text disable-output-escaping="yes">&lt;&amp;&gt;</xsl:text></xsl:template>
</xsl:stylesheet>
