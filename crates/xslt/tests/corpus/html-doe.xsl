<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html"/>
<xsl:template match="/"><html><body><xsl:text disable-output-escaping="yes">&lt;b&gt;raw&lt;/b&gt;</xsl:text>&lt;esc&gt;</body></html></xsl:template>
</xsl:stylesheet>
