<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:exsl="http://exslt.org/common">
<xsl:output method="text"/>
<xsl:variable name="r"><i>3</i><i>1</i><i>2</i></xsl:variable><xsl:template match="/"><xsl:for-each select="exsl:node-set($r)/i"><xsl:sort select="." data-type="number"/><xsl:value-of select="."/></xsl:for-each></xsl:template>
</xsl:stylesheet>
