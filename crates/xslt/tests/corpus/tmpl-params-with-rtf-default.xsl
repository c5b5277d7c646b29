<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:exsl="http://exslt.org/common">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:call-template name="t"/></xsl:template><xsl:template name="t"><xsl:param name="p"><a>1</a><b>2</b></xsl:param><xsl:value-of select="$p"/>:<xsl:value-of select="count(exsl:node-set($p)/*)"/></xsl:template>
</xsl:stylesheet>
