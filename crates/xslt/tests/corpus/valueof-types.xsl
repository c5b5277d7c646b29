<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:value-of select="//line"/>|<xsl:value-of select="3 &gt; 2"/>|<xsl:value-of select="1 div 3"/>|<xsl:value-of select="//nothing"/>|<xsl:value-of select="/"/></xsl:template>
</xsl:stylesheet>
