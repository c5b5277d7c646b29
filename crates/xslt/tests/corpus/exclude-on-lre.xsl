<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><out xmlns:a="urn:a" xsl:exclude-result-prefixes="a"><inner xmlns:c="urn:c"/></out></xsl:template>
</xsl:stylesheet>
