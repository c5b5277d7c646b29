<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:import href="_ai-base.xsl"/>
<xsl:template match="line">[mid line]<xsl:apply-imports/></xsl:template>
<xsl:template match="price">[mid price]<xsl:call-template name="lib-apply"/></xsl:template>
</xsl:stylesheet>
