<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:key name="bysku" match="line" use="@sku"/><xsl:key name="cust" match="customer" use="@ref"/><xsl:key name="multi" match="order" use="line/@sku"/>
<xsl:template match="/"><xsl:value-of select="count(key('bysku','76460'))"/>|<xsl:value-of select="key('cust', //order[2]/@customer)/name"/>|<xsl:for-each select="key('multi','76460')"><xsl:value-of select="@id"/>,</xsl:for-each>|<xsl:value-of select="count(key('bysku', //line/@sku))"/>|<xsl:value-of select="count(key('bysku','none'))"/></xsl:template>
</xsl:stylesheet>
