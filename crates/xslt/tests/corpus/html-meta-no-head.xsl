<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html"/>
<xsl:template match="/">
<html><body><meta http-equiv="Content-Type" content="text/html; charset=utf-8"/><p>x</p></body></html>
</xsl:template>
</xsl:stylesheet>
