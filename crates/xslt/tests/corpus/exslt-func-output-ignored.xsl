<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:func="http://exslt.org/functions" xmlns:f="urn:f" extension-element-prefixes="func">
<xsl:output method="text"/>
<func:function name="f:ctx"><func:result select="concat(name(), '/', name(current()))"/></func:function>
<func:function name="f:rtf"><func:result><a>1</a><b>2</b></func:result></func:function>
<func:function name="f:num"><xsl:param name="a" select="10"/><xsl:param name="b" select="5"/><func:result select="$a - $b"/></func:function>
<xsl:template match="/"><xsl:for-each select="//order[1]/line[1]"><xsl:value-of select="f:ctx()"/></xsl:for-each>|<xsl:value-of select="f:rtf()"/>|<xsl:value-of select="f:num()"/>|<xsl:value-of select="f:num(1)"/>|<xsl:value-of select="f:num(1, 2)"/>|<xsl:value-of select="string-length(f:rtf())"/></xsl:template>
</xsl:stylesheet>
