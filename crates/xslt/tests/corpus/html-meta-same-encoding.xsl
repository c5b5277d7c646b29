<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html" encoding="ISO-8859-1"/>
<xsl:template match="/">
<html><head><meta content="text/html; charset=iso-8859-1; extra" http-equiv="content-type"/><title>t</title></head><body>&#233;</body></html>
</xsl:template>
</xsl:stylesheet>
