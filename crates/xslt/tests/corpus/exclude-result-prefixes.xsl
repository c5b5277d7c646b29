<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:a="urn:a" xmlns:b="urn:b" xmlns:z="urn:z" exclude-result-prefixes="a b">

<xsl:template match="/"><out><kept xmlns:k="urn:k"/><z:inner/></out></xsl:template>
</xsl:stylesheet>
