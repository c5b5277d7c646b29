<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="/">
<xsl:text>0=</xsl:text><xsl:value-of select="substring-before('1999/04/01','/')"/><xsl:text>&#10;</xsl:text>
<xsl:text>1=</xsl:text><xsl:value-of select="substring-after('1999/04/01','/')"/><xsl:text>&#10;</xsl:text>
<xsl:text>2=</xsl:text><xsl:value-of select="substring-before('abc','x')"/><xsl:text>&#10;</xsl:text>
<xsl:text>3=</xsl:text><xsl:value-of select="substring-after('abc','x')"/><xsl:text>&#10;</xsl:text>
<xsl:text>4=</xsl:text><xsl:value-of select="substring-before('abc','')"/><xsl:text>&#10;</xsl:text>
<xsl:text>5=</xsl:text><xsl:value-of select="substring-after('abc','')"/><xsl:text>&#10;</xsl:text>
<xsl:text>6=</xsl:text><xsl:value-of select="substring-after(//order[1]/@created,' ')"/><xsl:text>&#10;</xsl:text>
<xsl:text>7=</xsl:text><xsl:value-of select="substring-before(//email,'@')"/><xsl:text>&#10;</xsl:text>
</xsl:for-each></xsl:template>
</xsl:stylesheet>
