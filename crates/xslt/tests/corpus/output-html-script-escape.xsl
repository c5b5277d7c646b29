<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html"/>
<xsl:template match="/"><html><head><script type="text/javascript">var s = "&lt;/b&gt;" &amp;&amp; x;</script></head><body><p title="a &amp; &quot;b&quot;">&amp;nbsp;</p></body></html></xsl:template>
</xsl:stylesheet>
