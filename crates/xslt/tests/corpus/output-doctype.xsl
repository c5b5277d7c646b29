<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output doctype-public="-//X//DTD Y//EN" doctype-system="y.dtd"/>
<xsl:template match="/"><r>x</r></xsl:template>
</xsl:stylesheet>
