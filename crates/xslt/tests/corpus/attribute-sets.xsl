<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:attribute-set name="base"><xsl:attribute name="a">base-a</xsl:attribute><xsl:attribute name="b">base-b</xsl:attribute></xsl:attribute-set>
<xsl:attribute-set name="more" use-attribute-sets="base"><xsl:attribute name="b">more-b</xsl:attribute><xsl:attribute name="c"><xsl:value-of select="count(//line)"/></xsl:attribute></xsl:attribute-set>
<xsl:attribute-set name="base"><xsl:attribute name="d">second-def</xsl:attribute></xsl:attribute-set>
<xsl:template match="/"><out><lre xsl:use-attribute-sets="more" b="lre-b"/><xsl:element name="el" use-attribute-sets="base more"/><xsl:for-each select="//line[1]"><xsl:copy use-attribute-sets="base"/></xsl:for-each></out></xsl:template>
</xsl:stylesheet>
