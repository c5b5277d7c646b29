<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="//price"><xsl:number level="multiple" count="order|line|price" format="A-1-i."/>;<xsl:number level="multiple" count="orders|order|line" format="[1]"/>;</xsl:for-each></xsl:template>
</xsl:stylesheet>
