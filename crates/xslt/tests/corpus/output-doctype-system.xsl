<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output doctype-system="y.dtd" indent="yes"/>
<xsl:template match="/"><xsl:comment>c</xsl:comment><r>x</r></xsl:template>
</xsl:stylesheet>
