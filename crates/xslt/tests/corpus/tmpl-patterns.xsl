<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//*"/></xsl:template>
<xsl:template match="*"/>
<xsl:template match="/orders">[root-child orders]</xsl:template>
<xsl:template match="orders//b">[b under orders]</xsl:template>
<xsl:template match="order[2]/line">[line of order 2]</xsl:template>
<xsl:template match="line[2]/name">[name of 2nd line]</xsl:template>
<xsl:template match="order[last()]/shipping">[last shipping]</xsl:template>
<xsl:template match="id('c2')">[id c2]</xsl:template>
<xsl:template match="key('sku','C9')">[key C9]</xsl:template>
<xsl:template match="id('o1')//price">[price in o1]</xsl:template>
<xsl:key name="sku" match="line" use="@sku"/>
</xsl:stylesheet>
