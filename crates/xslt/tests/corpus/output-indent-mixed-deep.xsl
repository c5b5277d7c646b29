<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output indent="yes"/>
<xsl:template match="/"><r><a><b>t</b><c><d/></c></a><e>x<f><g/></f></e></r></xsl:template>
</xsl:stylesheet>
