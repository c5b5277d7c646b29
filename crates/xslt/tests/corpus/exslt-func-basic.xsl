<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:func="http://exslt.org/functions" xmlns:my="urn:my" extension-element-prefixes="func" exclude-result-prefixes="my">
<xsl:output method="text"/>
<func:function name="my:double"><xsl:param name="x"/><func:result select="$x * 2"/></func:function>
<func:function name="my:fact"><xsl:param name="n"/><xsl:choose><xsl:when test="$n &lt;= 1"><func:result select="1"/></xsl:when><xsl:otherwise><func:result select="$n * my:fact($n - 1)"/></xsl:otherwise></xsl:choose></func:function>
<func:function name="my:greet"><xsl:param name="who" select="'world'"/><xsl:param name="p" select="'Hello'"/><func:result><xsl:value-of select="concat($p, ', ', $who)"/>!</func:result></func:function>
<func:function name="my:lines"><xsl:param name="o"/><func:result select="$o/line"/></func:function>
<func:function name="my:none"/>
<xsl:variable name="g" select="my:double(21)"/>
<xsl:template match="/"><xsl:value-of select="my:double(4)"/>|<xsl:value-of select="my:fact(5)"/>|<xsl:value-of select="my:greet()"/>|<xsl:value-of select="my:greet('you')"/>|<xsl:value-of select="count(my:lines(//order[1]))"/>|<xsl:value-of select="my:lines(//order[3])[2]/@sku"/>|[<xsl:value-of select="my:none()"/>]|<xsl:value-of select="$g"/>|<xsl:value-of select="function-available('my:double')"/>|<xsl:value-of select="function-available('my:nope')"/>|<xsl:value-of select="element-available('func:function')"/>|<xsl:value-of select="element-available('func:result')"/>|<xsl:value-of select="function-available('func:function')"/>|<xsl:for-each select="//order"><xsl:value-of select="my:double(count(line))"/>,</xsl:for-each>|<xsl:value-of select="string(my:greet('x','Hi'))"/></xsl:template>
</xsl:stylesheet>
