<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:func="http://exslt.org/functions" xmlns:lib="urn:lib" xmlns:exsl="http://exslt.org/common" extension-element-prefixes="func" exclude-result-prefixes="lib exsl">
<xsl:import href="_func-lib.xsl"/>
<xsl:output method="xml" omit-xml-declaration="yes"/>
<func:function name="lib:label"><xsl:param name="s"/><func:result select="concat('main:', $s)"/></func:function>
<func:function name="lib:rows">
  <xsl:param name="n"/>
  <xsl:variable name="r"><xsl:for-each select="//line[position() &lt;= $n]"><row sku="{@sku}"/></xsl:for-each></xsl:variable>
  <func:result select="exsl:node-set($r)/row"/>
</func:function>
<func:function name="lib:sum-price"><xsl:param name="ls"/><xsl:param name="acc" select="0"/>
  <xsl:choose>
    <xsl:when test="not($ls)"><func:result select="$acc"/></xsl:when>
    <xsl:otherwise><func:result select="lib:sum-price($ls[position() &gt; 1], $acc + $ls[1]/price)"/></xsl:otherwise>
  </xsl:choose>
</func:function>
<xsl:template match="/"><r><xsl:value-of select="lib:label('x')"/>|<xsl:value-of select="lib:only()"/>|<xsl:copy-of select="lib:rows(3)"/>|<xsl:value-of select="count(lib:rows(2))"/>|<xsl:value-of select="lib:sum-price(//order[1]/line)"/>|<xsl:for-each select="lib:rows(4)[@sku='76460']"><xsl:value-of select="@sku"/>;</xsl:for-each></r></xsl:template>
</xsl:stylesheet>
