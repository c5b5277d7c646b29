<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/">root:<xsl:apply-templates select="/*/customer[1]/name"/></xsl:template>
<xsl:template match="//name">dslash-name</xsl:template>
</xsl:stylesheet>
