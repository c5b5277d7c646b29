<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:ext="urn:ext" extension-element-prefixes="ext">

<xsl:template match="/"><out><ext:thing><xsl:fallback><fb/></xsl:fallback></ext:thing><xsl:if test="element-available('ext:thing')">avail</xsl:if></out></xsl:template>
</xsl:stylesheet>
