<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><xsl:for-each select="//line[1]"><out sku="{@sku}" both="{@sku}-{@qty}" braces="{{literal}} {{{@qty}}}" str="{'}'}" expr="{count(//line) * 2}" empty="{//nothing}" mixed="a{@qty}b{@sku}c"/></xsl:for-each></xsl:template>
</xsl:stylesheet>
