<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out><xsl:apply-templates select="/orders/order[1]"/></out></xsl:template>
<xsl:template match="*"><xsl:copy><xsl:apply-templates select="@*|node()"/></xsl:copy></xsl:template>
<xsl:template match="@*|text()|comment()|processing-instruction()"><xsl:copy/></xsl:template>
</xsl:stylesheet>
