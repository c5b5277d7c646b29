<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:z="urn:zynk">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//@*"/></xsl:template>
<xsl:template match="@*">a </xsl:template>
<xsl:template match="@sku">sku </xsl:template>
<xsl:template match="line/@qty[. &gt; 2]">bigqty </xsl:template>
<xsl:template match="@z:*">zattr </xsl:template>
</xsl:stylesheet>
