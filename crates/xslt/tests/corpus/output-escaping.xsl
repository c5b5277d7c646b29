<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><r a="&lt;&gt;&amp;&quot;&#9;&#10;&#13;">&lt;&gt;&amp;"'&#13;&#10;&#9;</r></xsl:template>
</xsl:stylesheet>
