<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="text()">[<xsl:value-of select="normalize-space()"/>]</xsl:template><xsl:template match="order|customer|text|para|z:extra" xmlns:z="urn:zynk"/>
</xsl:stylesheet>
