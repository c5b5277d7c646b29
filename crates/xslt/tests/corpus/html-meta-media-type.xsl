<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html" media-type="application/xhtml+xml" encoding="US-ASCII"/>
<xsl:template match="/">
<html><head><meta http-equiv="Content-Type" content="text/plain; charset=utf-8"/><meta http-equiv="refresh" content="5"/></head><body>&#233;</body></html>
</xsl:template>
</xsl:stylesheet>
