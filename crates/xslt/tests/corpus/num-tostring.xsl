<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="/">
<xsl:text>0=</xsl:text><xsl:value-of select="1 div 3"/><xsl:text>&#10;</xsl:text>
<xsl:text>1=</xsl:text><xsl:value-of select="2 div 3"/><xsl:text>&#10;</xsl:text>
<xsl:text>2=</xsl:text><xsl:value-of select="0.1 + 0.2"/><xsl:text>&#10;</xsl:text>
<xsl:text>3=</xsl:text><xsl:value-of select="100 * 1.15"/><xsl:text>&#10;</xsl:text>
<xsl:text>4=</xsl:text><xsl:value-of select="1.0"/><xsl:text>&#10;</xsl:text>
<xsl:text>5=</xsl:text><xsl:value-of select="-0.0"/><xsl:text>&#10;</xsl:text>
<xsl:text>6=</xsl:text><xsl:value-of select="123456789"/><xsl:text>&#10;</xsl:text>
<xsl:text>7=</xsl:text><xsl:value-of select="0.000123"/><xsl:text>&#10;</xsl:text>
<xsl:text>8=</xsl:text><xsl:value-of select="1.5e3"/><xsl:text>&#10;</xsl:text>
<xsl:text>9=</xsl:text><xsl:value-of select="99999.99999"/><xsl:text>&#10;</xsl:text>
<xsl:text>10=</xsl:text><xsl:value-of select="-123.456"/><xsl:text>&#10;</xsl:text>
<xsl:text>11=</xsl:text><xsl:value-of select="1 div 7 * 7"/><xsl:text>&#10;</xsl:text>
<xsl:text>12=</xsl:text><xsl:value-of select="3.0000000001"/><xsl:text>&#10;</xsl:text>
<xsl:text>13=</xsl:text><xsl:value-of select="0.5"/><xsl:text>&#10;</xsl:text>
<xsl:text>14=</xsl:text><xsl:value-of select="-0.5"/><xsl:text>&#10;</xsl:text>
<xsl:text>15=</xsl:text><xsl:value-of select="12345.678901234567"/><xsl:text>&#10;</xsl:text>
<xsl:text>16=</xsl:text><xsl:value-of select="0.1"/><xsl:text>&#10;</xsl:text>
<xsl:text>17=</xsl:text><xsl:value-of select="1 - 0.9"/><xsl:text>&#10;</xsl:text>
</xsl:for-each></xsl:template>
</xsl:stylesheet>
