<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns="urn:def">

<xsl:template match="/"><xsl:element name="root"><xsl:element name="child" namespace=""/><kid/></xsl:element></xsl:template>
</xsl:stylesheet>
