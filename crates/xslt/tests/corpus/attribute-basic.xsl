<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out a="1"><xsl:attribute name="a">2</xsl:attribute><xsl:attribute name="b"><xsl:value-of select="//line[1]/@sku"/>-<xsl:value-of select="count(//line)"/></xsl:attribute><xsl:attribute name="{concat('dyn', 1)}">d</xsl:attribute><xsl:attribute name="z:q" xmlns:z="urn:zq">z</xsl:attribute><xsl:attribute name="w" namespace="urn:w">w</xsl:attribute><xsl:attribute name="p:v" namespace="urn:pv">v</xsl:attribute><xsl:attribute name="nl">line1
line2&#9;tab &lt;&amp;&gt;"'</xsl:attribute></out></xsl:template>
</xsl:stylesheet>
