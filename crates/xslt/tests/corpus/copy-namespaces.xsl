<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:z="urn:zynk">

<xsl:template match="/"><out><xsl:for-each select="//*[namespace-uri()]"><xsl:copy/></xsl:for-each><xsl:for-each select="//z:extra/namespace::*"><e><xsl:copy/></e></xsl:for-each></out></xsl:template>
</xsl:stylesheet>
