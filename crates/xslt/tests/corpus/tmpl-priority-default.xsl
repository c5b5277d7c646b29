<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:z="urn:zynk">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:apply-templates select="//line | //z:note | //price | //order[2]/comment() | //text()[.='tea']"/><xsl:apply-templates select="//processing-instruction()"/></xsl:template>
<xsl:template match="*">[*:<xsl:value-of select="name()"/>]</xsl:template>
<xsl:template match="z:*">[z:*]</xsl:template>
<xsl:template match="line">[line]</xsl:template>
<xsl:template match="order/line">[order/line]</xsl:template>
<xsl:template match="line[@qty=1]">[line qty1]</xsl:template>
<xsl:template match="node()">[node]</xsl:template>
<xsl:template match="text()">[text]</xsl:template>
<xsl:template match="comment()">[comment]</xsl:template>
<xsl:template match="processing-instruction('audit')">[pi audit]</xsl:template>
</xsl:stylesheet>
