<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="/">
<xsl:text>0=</xsl:text><xsl:value-of select="floor(2.5)"/><xsl:text>&#10;</xsl:text>
<xsl:text>1=</xsl:text><xsl:value-of select="floor(-2.5)"/><xsl:text>&#10;</xsl:text>
<xsl:text>2=</xsl:text><xsl:value-of select="ceiling(2.1)"/><xsl:text>&#10;</xsl:text>
<xsl:text>3=</xsl:text><xsl:value-of select="ceiling(-2.1)"/><xsl:text>&#10;</xsl:text>
<xsl:text>4=</xsl:text><xsl:value-of select="round(2.5)"/><xsl:text>&#10;</xsl:text>
<xsl:text>5=</xsl:text><xsl:value-of select="round(-2.5)"/><xsl:text>&#10;</xsl:text>
<xsl:text>6=</xsl:text><xsl:value-of select="round(-0.5)"/><xsl:text>&#10;</xsl:text>
<xsl:text>7=</xsl:text><xsl:value-of select="round(0.49999)"/><xsl:text>&#10;</xsl:text>
<xsl:text>8=</xsl:text><xsl:value-of select="round(1 div 0)"/><xsl:text>&#10;</xsl:text>
<xsl:text>9=</xsl:text><xsl:value-of select="round(0 div 0)"/><xsl:text>&#10;</xsl:text>
<xsl:text>10=</xsl:text><xsl:value-of select="floor('3.7')"/><xsl:text>&#10;</xsl:text>
<xsl:text>11=</xsl:text><xsl:value-of select="ceiling(-0.5)"/><xsl:text>&#10;</xsl:text>
<xsl:text>12=</xsl:text><xsl:value-of select="round(-0.4)"/><xsl:text>&#10;</xsl:text>
<xsl:text>13=</xsl:text><xsl:value-of select="round(1234567.5)"/><xsl:text>&#10;</xsl:text>
<xsl:text>14=</xsl:text><xsl:value-of select="floor(-0)"/><xsl:text>&#10;</xsl:text>
</xsl:for-each></xsl:template>
</xsl:stylesheet>
