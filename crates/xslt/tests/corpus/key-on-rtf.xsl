<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:exsl="http://exslt.org/common">
<xsl:output method="text"/>
<xsl:key name="k" match="item" use="@id"/><xsl:variable name="r"><item id="1">one</item><item id="2">two</item></xsl:variable>
<xsl:template match="/"><xsl:for-each select="exsl:node-set($r)"><xsl:value-of select="key('k','2')"/></xsl:for-each>|<xsl:value-of select="count(key('k','2'))"/></xsl:template>
</xsl:stylesheet>
