<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="xml" omit-xml-declaration="yes"/>
<xsl:template match="/"><xsl:copy-of select="/"/>|<xsl:value-of select="count(//c)"/></xsl:template>
</xsl:stylesheet>
