<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output encoding="US-ASCII"/>
<xsl:template match="/"><r a="é€">Café € 日本</r></xsl:template>
</xsl:stylesheet>
