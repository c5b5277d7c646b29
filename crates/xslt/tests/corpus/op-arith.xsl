<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="/">
<xsl:text>0=</xsl:text><xsl:value-of select="1+2*3"/><xsl:text>&#10;</xsl:text>
<xsl:text>1=</xsl:text><xsl:value-of select="(1+2)*3"/><xsl:text>&#10;</xsl:text>
<xsl:text>2=</xsl:text><xsl:value-of select="10 div 4"/><xsl:text>&#10;</xsl:text>
<xsl:text>3=</xsl:text><xsl:value-of select="10 mod 3"/><xsl:text>&#10;</xsl:text>
<xsl:text>4=</xsl:text><xsl:value-of select="-10 mod 3"/><xsl:text>&#10;</xsl:text>
<xsl:text>5=</xsl:text><xsl:value-of select="10 mod -3"/><xsl:text>&#10;</xsl:text>
<xsl:text>6=</xsl:text><xsl:value-of select="-7 div 2"/><xsl:text>&#10;</xsl:text>
<xsl:text>7=</xsl:text><xsl:value-of select="2 - -2"/><xsl:text>&#10;</xsl:text>
<xsl:text>8=</xsl:text><xsl:value-of select="1 - 1 - 1"/><xsl:text>&#10;</xsl:text>
<xsl:text>9=</xsl:text><xsl:value-of select="5 * -1"/><xsl:text>&#10;</xsl:text>
<xsl:text>10=</xsl:text><xsl:value-of select="0 div 0"/><xsl:text>&#10;</xsl:text>
<xsl:text>11=</xsl:text><xsl:value-of select="1 div 0"/><xsl:text>&#10;</xsl:text>
<xsl:text>12=</xsl:text><xsl:value-of select="-1 div 0"/><xsl:text>&#10;</xsl:text>
<xsl:text>13=</xsl:text><xsl:value-of select="0 * -1"/><xsl:text>&#10;</xsl:text>
<xsl:text>14=</xsl:text><xsl:value-of select="3.5 mod 1"/><xsl:text>&#10;</xsl:text>
<xsl:text>15=</xsl:text><xsl:value-of select="-(2)"/><xsl:text>&#10;</xsl:text>
<xsl:text>16=</xsl:text><xsl:value-of select="--2"/><xsl:text>&#10;</xsl:text>
<xsl:text>17=</xsl:text><xsl:value-of select="1e2"/><xsl:text>&#10;</xsl:text>
<xsl:text>18=</xsl:text><xsl:value-of select=".5 + .25"/><xsl:text>&#10;</xsl:text>
<xsl:text>19=</xsl:text><xsl:value-of select="17 div 3 * 3"/><xsl:text>&#10;</xsl:text>
</xsl:for-each></xsl:template>
</xsl:stylesheet>
