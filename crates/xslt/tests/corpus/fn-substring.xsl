<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="/">
<xsl:text>0=</xsl:text><xsl:value-of select="substring('12345',2,3)"/><xsl:text>&#10;</xsl:text>
<xsl:text>1=</xsl:text><xsl:value-of select="substring('12345',2)"/><xsl:text>&#10;</xsl:text>
<xsl:text>2=</xsl:text><xsl:value-of select="substring('12345',1.5,2.6)"/><xsl:text>&#10;</xsl:text>
<xsl:text>3=</xsl:text><xsl:value-of select="substring('12345',0,3)"/><xsl:text>&#10;</xsl:text>
<xsl:text>4=</xsl:text><xsl:value-of select="substring('12345',0 div 0,3)"/><xsl:text>&#10;</xsl:text>
<xsl:text>5=</xsl:text><xsl:value-of select="substring('12345',1,0 div 0)"/><xsl:text>&#10;</xsl:text>
<xsl:text>6=</xsl:text><xsl:value-of select="substring('12345',-42,1 div 0)"/><xsl:text>&#10;</xsl:text>
<xsl:text>7=</xsl:text><xsl:value-of select="substring('12345',-1 div 0,1 div 0)"/><xsl:text>&#10;</xsl:text>
<xsl:text>8=</xsl:text><xsl:value-of select="substring('Café crème',4,3)"/><xsl:text>&#10;</xsl:text>
<xsl:text>9=</xsl:text><xsl:value-of select="substring('',1,1)"/><xsl:text>&#10;</xsl:text>
<xsl:text>10=</xsl:text><xsl:value-of select="substring('abc',4)"/><xsl:text>&#10;</xsl:text>
<xsl:text>11=</xsl:text><xsl:value-of select="substring('abc',3,-1)"/><xsl:text>&#10;</xsl:text>
</xsl:for-each></xsl:template>
</xsl:stylesheet>
