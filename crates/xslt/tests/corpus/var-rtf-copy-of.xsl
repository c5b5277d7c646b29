<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:exsl="http://exslt.org/common" exclude-result-prefixes="exsl">

<xsl:variable name="frag"><item a="1">x</item><!--c--><?p d?>text</xsl:variable><xsl:template match="/"><out><xsl:copy-of select="$frag"/><xsl:copy-of select="exsl:node-set($frag)/item"/></out></xsl:template>
</xsl:stylesheet>
