<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html" encoding="iso-8859-1"/>
<xsl:template match="/">
<html><head><meta http-equiv="Content-Type"/><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"/></head><body/></html>
</xsl:template>
</xsl:stylesheet>
