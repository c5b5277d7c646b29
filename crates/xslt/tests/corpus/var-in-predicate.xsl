<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:variable name="min" select="2"/><xsl:value-of select="count(//line[@qty &gt; $min])"/>|<xsl:for-each select="//customer"><xsl:variable name="r" select="@ref"/><xsl:value-of select="count(//order[@customer = $r])"/></xsl:for-each></xsl:template>
</xsl:stylesheet>
