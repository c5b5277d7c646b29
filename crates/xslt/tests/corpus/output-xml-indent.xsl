<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="xml" indent="yes"/><xsl:strip-space elements="*"/>
<xsl:template match="/"><root><xsl:copy-of select="//order[1]"/><empty/><mixed>text<b>bold</b></mixed><nested><a><b/></a></nested><xsl:comment>c</xsl:comment></root></xsl:template>
</xsl:stylesheet>
