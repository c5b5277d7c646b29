<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//customer/*"/></xsl:template>
<xsl:template match="name | email">[<xsl:value-of select="name()"/>]</xsl:template>
<xsl:template match="country" priority="1">(c)</xsl:template>
</xsl:stylesheet>
