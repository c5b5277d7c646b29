<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="/">
<xsl:text>0=</xsl:text><xsl:value-of select="//line/@qty = 4"/><xsl:text>&#10;</xsl:text>
<xsl:text>1=</xsl:text><xsl:value-of select="//line/@qty != 4"/><xsl:text>&#10;</xsl:text>
<xsl:text>2=</xsl:text><xsl:value-of select="//line/@qty &gt; 9"/><xsl:text>&#10;</xsl:text>
<xsl:text>3=</xsl:text><xsl:value-of select="//line/@qty &lt; 1"/><xsl:text>&#10;</xsl:text>
<xsl:text>4=</xsl:text><xsl:value-of select="//price &gt;= 14.12"/><xsl:text>&#10;</xsl:text>
<xsl:text>5=</xsl:text><xsl:value-of select="//price &lt;= 0.99"/><xsl:text>&#10;</xsl:text>
<xsl:text>6=</xsl:text><xsl:value-of select="//nothing = 0"/><xsl:text>&#10;</xsl:text>
<xsl:text>7=</xsl:text><xsl:value-of select="//nothing != 0"/><xsl:text>&#10;</xsl:text>
<xsl:text>8=</xsl:text><xsl:value-of select="4 = //line/@qty"/><xsl:text>&#10;</xsl:text>
<xsl:text>9=</xsl:text><xsl:value-of select="9 &lt; //line/@qty"/><xsl:text>&#10;</xsl:text>
</xsl:for-each></xsl:template>
</xsl:stylesheet>
