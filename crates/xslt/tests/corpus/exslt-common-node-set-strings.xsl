<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:exsl="http://exslt.org/common" xmlns:msxsl="urn:schemas-microsoft-com:xslt">
<xsl:output method="xml" omit-xml-declaration="yes"/>
<xsl:template match="/"><r><xsl:value-of select="count(exsl:node-set(''))"/>|<xsl:value-of select="string-length(exsl:node-set(''))"/>|<xsl:copy-of select="exsl:node-set('')"/>|<xsl:value-of select="count(exsl:node-set('')/self::text())"/>|<xsl:value-of select="count(exsl:node-set(0 div 0))"/>|<xsl:value-of select="exsl:node-set(false())"/>|<xsl:value-of select="count(exsl:node-set(/nothing))"/>|<xsl:value-of select="count(exsl:node-set('a')/..)"/></r></xsl:template>
</xsl:stylesheet>
