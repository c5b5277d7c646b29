<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out><xsl:for-each select="//customer/*"><xsl:element name="{name()}-x"><xsl:value-of select="."/></xsl:element></xsl:for-each>
<xsl:element name="ns:thing" namespace="urn:thing"/><xsl:element name="plain" namespace="urn:plain"><xsl:element name="child"/></xsl:element>
<xsl:element name="z:pre" xmlns:z="urn:zz"/><xsl:element name="q:x" namespace="urn:q" xmlns:q="urn:other"/><xsl:element name="nons" namespace=""/></out></xsl:template>
</xsl:stylesheet>
