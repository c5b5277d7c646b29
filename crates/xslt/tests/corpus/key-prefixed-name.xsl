<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:p="urn:p"><xsl:output method="text"/>
<xsl:key name="p:k" match="line" use="@sku"/>
<xsl:decimal-format name="p:df" decimal-separator=","/>
<xsl:template match="/"><xsl:apply-templates select="//line"/>|<xsl:value-of select="format-number(1.5, '0,0', 'p:df')"/></xsl:template>
<xsl:template match="line[key('p:k','C9') = .]">[C9 <xsl:value-of select="count(key('p:k', @sku))"/>]</xsl:template>
<xsl:template match="line[count(key('p:k', @sku)) &gt; 1]">[dup]</xsl:template>
<xsl:template match="line">.</xsl:template>
</xsl:stylesheet>
