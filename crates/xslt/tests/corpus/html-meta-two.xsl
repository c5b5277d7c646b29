<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html"/>
<xsl:template match="/">
<html><head><meta http-equiv="Content-Type" content="a"/><meta http-equiv="Content-Type" content="b"/></head><body/></html>
</xsl:template>
</xsl:stylesheet>
