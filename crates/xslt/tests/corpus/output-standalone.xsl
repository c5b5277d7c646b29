<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output standalone="yes" version="1.0"/>
<xsl:template match="/"><r>x</r></xsl:template>
</xsl:stylesheet>
