<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html" indent="yes"/>
<xsl:template match="/"><html><body><div><p>a</p><p>b</p></div><table><tr><td>x</td></tr><tr><td>y</td></tr></table><ol><li>1</li></ol></body></html></xsl:template>
</xsl:stylesheet>
