<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html" encoding="UTF-8"/>
<xsl:template match="/">
<html><head><title>T</title><META HTTP-EQUIV="content-type" CONTENT="text/html; charset=windows-1252"/><meta name="x" content="y"/></head><body/></html>
</xsl:template>
</xsl:stylesheet>
