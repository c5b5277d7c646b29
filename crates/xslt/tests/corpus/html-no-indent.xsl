<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html" indent="no"/>
<xsl:template match="/"><html><head><title>Orders</title><style>p &gt; b { color: red }</style></head><body>
<h1 class="t">Orders &amp; more</h1><xsl:for-each select="//order"><div id="{@id}"><p>Order <b><xsl:value-of select="@id"/></b></p><ul><xsl:for-each select="line"><li><xsl:value-of select="name"/></li></xsl:for-each></ul></div></xsl:for-each>
<form action="/submit?a=1&amp;b=2"><input type="checkbox" checked="checked"/><select><option selected="selected">x</option></select><textarea></textarea></form><br/><img src="img/café 1.png" alt="A &lt; B"/><a href="http://example.com/a b?x=&quot;y&quot;">link</a><a name="an chor">n</a>
<script>if (a &lt; b &amp;&amp; c) {}</script><p/><pre>  keep
  this</pre><table><tr><td>1</td><td>2</td></tr></table></body></html></xsl:template>
</xsl:stylesheet>
