<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/">
<xsl:number value="1e25" format="a"/>|<xsl:number value="1e20" format="A"/>|<xsl:number value="9007199254740993" format="a"/>|<xsl:number value="2147483648" format="a"/>|<xsl:number value="1e15" format="a"/>|<xsl:number value="702" format="a"/>|<xsl:number value="703" format="A"/>|<xsl:number value="5000" format="i"/>|<xsl:number value="5001" format="I"/>|<xsl:number value="4999" format="I"/>|<xsl:number value="1e10" format="i"/>|<xsl:number value="1 div 0"/>|<xsl:number value="1 div 0" format="a"/>|<xsl:number value="-1 div 0"/>|<xsl:number value="-1 div 0" format="a"/>|<xsl:number value="0 div 0" format="i"/>|<xsl:number value="0" format="a"/>|<xsl:number value="0" format="01"/>|<xsl:number value="-3" format="i"/>|<xsl:number value="2.5"/>|<xsl:number value="3.5"/>|<xsl:number value="9007199254740992"/>|<xsl:number value="1e16" format="&#x661;"/>|<xsl:number value="'abc'"/>|<xsl:number value="4294967296" grouping-separator="." grouping-size="3"/>
</xsl:template>
</xsl:stylesheet>
