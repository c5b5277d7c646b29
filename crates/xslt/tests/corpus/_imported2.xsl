<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:import href="_imported.xsl"/>
<xsl:template match="line">[imported2 line]<xsl:apply-imports/></xsl:template>
</xsl:stylesheet>
