<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><r a="1">x &lt; y &amp; <b>z</b></r><xsl:comment>gone</xsl:comment></xsl:template>
</xsl:stylesheet>
