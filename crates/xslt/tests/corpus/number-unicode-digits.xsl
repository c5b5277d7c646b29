<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/">
<xsl:number value="1234" format="&#x661;"/>|<xsl:number value="7" format="&#x661;"/>|
<xsl:number value="1234" format="&#x660;&#x661;"/>|<xsl:number value="7" format="&#x660;&#x661;"/>|
<xsl:number value="1234" format="&#x6F1;"/>|<xsl:number value="7" format="&#x6F1;"/>|
<xsl:number value="1234" format="&#x967;"/>|<xsl:number value="7" format="&#x967;"/>|
<xsl:number value="1234" format="&#x9E7;"/>|<xsl:number value="7" format="&#x9E7;"/>|
<xsl:number value="1234" format="&#xA67;"/>|<xsl:number value="7" format="&#xA67;"/>|
<xsl:number value="1234" format="&#xAE7;"/>|<xsl:number value="7" format="&#xAE7;"/>|
<xsl:number value="1234" format="&#xB67;"/>|<xsl:number value="7" format="&#xB67;"/>|
<xsl:number value="1234" format="&#xC67;"/>|<xsl:number value="7" format="&#xC67;"/>|
<xsl:number value="1234" format="&#xCE7;"/>|<xsl:number value="7" format="&#xCE7;"/>|
<xsl:number value="1234" format="&#xD67;"/>|<xsl:number value="7" format="&#xD67;"/>|
<xsl:number value="1234" format="&#xE51;"/>|<xsl:number value="7" format="&#xE51;"/>|
<xsl:number value="1234" format="&#xED1;"/>|<xsl:number value="7" format="&#xED1;"/>|
<xsl:number value="1234" format="&#xF21;"/>|<xsl:number value="7" format="&#xF21;"/>|
<xsl:number value="1234" format="&#x661;.&#x661;"/>|<xsl:number value="7" format="&#x661;.&#x661;"/>|
<xsl:number value="1234" format="1.&#x661;"/>|<xsl:number value="7" format="1.&#x661;"/>|
<xsl:number value="1234" format="&#x3B1;"/>|<xsl:number value="7" format="&#x3B1;"/>|
<xsl:number value="1234" format="&#x5D0;"/>|<xsl:number value="7" format="&#x5D0;"/>|
<xsl:number value="1234" format="&#x661;&#x660;"/>|<xsl:number value="7" format="&#x661;&#x660;"/>|
<xsl:number value="1234" format="&#x660;&#x660;&#x661;x"/>|<xsl:number value="7" format="&#x660;&#x660;&#x661;x"/>|
<xsl:number value="1234" format="01a"/>|<xsl:number value="7" format="01a"/>|
<xsl:number value="1234" format="11"/>|<xsl:number value="7" format="11"/>|
<xsl:number value="12345678" format="&#x661;" grouping-separator="&#x66C;" grouping-size="3"/>|<xsl:number value="12" format="&#x966;&#x966;&#x967;"/>
</xsl:template>
</xsl:stylesheet>
