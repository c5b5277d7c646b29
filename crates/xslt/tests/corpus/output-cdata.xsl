<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output cdata-section-elements="c"/>
<xsl:template match="/"><r><c>a &lt; b ]]&gt; c</c><d><c>nested</c></d><c/><c>one<xsl:value-of select="'two'"/></c></r></xsl:template>
</xsl:stylesheet>
