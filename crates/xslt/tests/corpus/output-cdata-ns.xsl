<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:p="urn:p">
<xsl:output cdata-section-elements="p:c"/>
<xsl:template match="/"><r xmlns:p="urn:p"><p:c>x&lt;y</p:c><c>no</c></r></xsl:template>
</xsl:stylesheet>
