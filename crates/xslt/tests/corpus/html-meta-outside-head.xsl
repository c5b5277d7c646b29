<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html" encoding="UTF-8"/>
<xsl:template match="/">
<html><meta name="a" content="b"/><meta http-equiv="Content-Type" content="text/html; charset=latin1"/><body/></html>
</xsl:template>
</xsl:stylesheet>
