<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="xml" media-type="application/x-zynk"/>
<xsl:template match="/"><r/></xsl:template>
</xsl:stylesheet>
