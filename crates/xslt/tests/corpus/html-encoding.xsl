<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html" encoding="ISO-8859-1"/>
<xsl:template match="/"><html><head><meta name="x" content="y"/></head><body>Café €</body></html></xsl:template>
</xsl:stylesheet>
