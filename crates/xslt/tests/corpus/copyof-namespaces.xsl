<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:z="urn:zynk">

<xsl:template match="/"><out xmlns:z="urn:zynk"><xsl:copy-of select="//z:note"/><inner xmlns:y="urn:y"><xsl:copy-of select="//inner"/></inner></out></xsl:template>
</xsl:stylesheet>
