<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html"/>
<xsl:template match="/"><div><span>a</span><p>b</p></div></xsl:template>
</xsl:stylesheet>
