<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:key name="k" match="line" use="@sku"/>
<xsl:template match="/"><xsl:value-of select="count(key('nokey', //line/@sku))"/>|<xsl:value-of select="count(key('nokey', 'B7'))"/>|<xsl:value-of select="count(key('k', //order[1]/line/@sku))"/>|<xsl:value-of select="count(key('nokey', key('k', 'B7')))"/>|<xsl:for-each select="//order"><xsl:value-of select="count(key('nokey', line/@sku) | line)"/>,</xsl:for-each></xsl:template>
</xsl:stylesheet>
