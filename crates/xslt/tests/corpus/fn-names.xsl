<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:z="urn:zynk">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="/">
<xsl:text>0=</xsl:text><xsl:value-of select="local-name(//z:note)"/><xsl:text>&#10;</xsl:text>
<xsl:text>1=</xsl:text><xsl:value-of select="name(//z:note)"/><xsl:text>&#10;</xsl:text>
<xsl:text>2=</xsl:text><xsl:value-of select="namespace-uri(//z:note)"/><xsl:text>&#10;</xsl:text>
<xsl:text>3=</xsl:text><xsl:value-of select="local-name()"/><xsl:text>&#10;</xsl:text>
<xsl:text>4=</xsl:text><xsl:value-of select="name(//@z:flag)"/><xsl:text>&#10;</xsl:text>
<xsl:text>5=</xsl:text><xsl:value-of select="namespace-uri(//inner)"/><xsl:text>&#10;</xsl:text>
<xsl:text>6=</xsl:text><xsl:value-of select="name(//inner)"/><xsl:text>&#10;</xsl:text>
<xsl:text>7=</xsl:text><xsl:value-of select="local-name(//processing-instruction())"/><xsl:text>&#10;</xsl:text>
<xsl:text>8=</xsl:text><xsl:value-of select="name(//comment())"/><xsl:text>&#10;</xsl:text>
<xsl:text>9=</xsl:text><xsl:value-of select="name(/)"/><xsl:text>&#10;</xsl:text>
<xsl:text>10=</xsl:text><xsl:value-of select="local-name(//nothing)"/><xsl:text>&#10;</xsl:text>
<xsl:text>11=</xsl:text><xsl:value-of select="name(//z:extra/namespace::*[name()='z'])"/><xsl:text>&#10;</xsl:text>
<xsl:text>12=</xsl:text><xsl:value-of select="namespace-uri(//line/@sku)"/><xsl:text>&#10;</xsl:text>
</xsl:for-each></xsl:template>
</xsl:stylesheet>
