<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" >
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="document('')//n"><xsl:number value="@v" format="{@f}"/>|</xsl:for-each><xsl:number value="1234567" grouping-separator="," grouping-size="3"/>|<xsl:number value="12345678" grouping-separator=" " grouping-size="2" format="001"/>|<xsl:number value="3.5"/>|<xsl:number value="-2"/>|<xsl:number value="0"/>|<xsl:number value="0" format="a"/></xsl:template>
<d:data xmlns:d="urn:d"><n v="5" f="1"/><n v="5" f="01"/><n v="5" f="001"/><n v="27" f="a"/><n v="28" f="A"/><n v="702" f="a"/><n v="1999" f="i"/><n v="44" f="I"/><n v="4" f="(i)"/><n v="7" f="#1:"/><n v="3" f="x"/><n v="10" f="1."/></d:data>
</xsl:stylesheet>
