<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns="urn:def" xmlns:x="urn:x" exclude-result-prefixes="#default">

<xsl:template match="/"><out><x:y/></out></xsl:template>
</xsl:stylesheet>
