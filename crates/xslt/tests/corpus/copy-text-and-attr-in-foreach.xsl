<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out><xsl:for-each select="//line[1]/@* | //line[1]/name/text()"><xsl:copy/></xsl:for-each></out></xsl:template>
</xsl:stylesheet>
