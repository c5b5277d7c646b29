<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/">
<xsl:number value="1234" format="&#xBE7;"/>|<xsl:number value="7" format="&#xBE7;"/>|
<xsl:number value="1234" format="&#x1041;"/>|<xsl:number value="7" format="&#x1041;"/>|
<xsl:number value="1234" format="&#x17E1;"/>|<xsl:number value="7" format="&#x17E1;"/>|
<xsl:number value="1234" format="&#x1811;"/>|<xsl:number value="7" format="&#x1811;"/>|
<xsl:number value="1234" format="&#xFF11;"/>|<xsl:number value="7" format="&#xFF11;"/>|
<xsl:number value="1234" format="&#xFF10;&#xFF10;&#xFF11;"/>|<xsl:number value="7" format="&#xFF10;&#xFF10;&#xFF11;"/>|
<xsl:number value="1234" format="&#x1D7CF;"/>|<xsl:number value="7" format="&#x1D7CF;"/>|
<xsl:number value="1234" format="&#x104A1;"/>|<xsl:number value="7" format="&#x104A1;"/>|
<xsl:number value="1234" format="&#x2460;"/>|<xsl:number value="7" format="&#x2460;"/>|
<xsl:number value="1234" format="&#x2474;"/>|<xsl:number value="7" format="&#x2474;"/>|
</xsl:template>
</xsl:stylesheet>
