<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//line"/></xsl:template>
<xsl:template match="line" priority="2">[p2]</xsl:template>
<xsl:template match="line[@qty &gt; 2]" priority="3">[p3 <xsl:value-of select="@qty"/>]</xsl:template>
<xsl:template match="order/line" priority="-1">[neg]</xsl:template>
</xsl:stylesheet>
