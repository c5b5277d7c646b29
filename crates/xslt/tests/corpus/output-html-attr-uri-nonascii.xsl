<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html"/>
<xsl:template match="/"><html><body><a href="  /path with space/ü?q=ä&amp;r#frag">x</a><img src="{//line[2]/name}.png"/><form action="sub mit"/><a name="n m" href="h">y</a></body></html></xsl:template>
</xsl:stylesheet>
