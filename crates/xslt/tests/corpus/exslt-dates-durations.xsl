<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:date="http://exslt.org/dates-and-times">
<xsl:output method="text"/>
<xsl:template match="/">
<xsl:value-of select="date:duration(3600)"/>|<xsl:value-of select="date:duration(90061.5)"/>|<xsl:value-of select="date:duration(-59)"/>|<xsl:value-of select="date:duration(0)"/>|<xsl:value-of select="date:duration('x')"/>|<xsl:value-of select="date:duration(31536000)"/>
<xsl:text>&#10;</xsl:text>
<xsl:value-of select="date:seconds('PT1H')"/>|<xsl:value-of select="date:seconds('P1DT1M')"/>|<xsl:value-of select="date:seconds('P1Y')"/>|<xsl:value-of select="date:seconds('-PT1.5S')"/>|<xsl:value-of select="date:seconds('1970-01-02T00:00:00Z')"/>|<xsl:value-of select="date:seconds('1970-01-02')"/>|<xsl:value-of select="date:seconds('2013-04-29T13:11:04+01:00')"/>|<xsl:value-of select="date:seconds('1969-12-31T23:59:59')"/>|<xsl:value-of select="date:seconds('2013')"/>|<xsl:value-of select="date:seconds('x')"/>|<xsl:value-of select="date:seconds('P1M')"/>
<xsl:text>&#10;</xsl:text>
<xsl:value-of select="date:add('2013-01-31', 'P1M')"/>|<xsl:value-of select="date:add('2013-04-29T13:11:04', 'PT12H')"/>|<xsl:value-of select="date:add('2012-02-29', 'P1Y')"/>|<xsl:value-of select="date:add('2013-04-29T13:11:04Z', '-P1DT1S')"/>|<xsl:value-of select="date:add('2013-04', 'P13M')"/>|<xsl:value-of select="date:add('2013', 'P2Y')"/>|<xsl:value-of select="date:add('x', 'P1D')"/>|<xsl:value-of select="date:add('2013-04-29', 'PT25H')"/>
<xsl:text>&#10;</xsl:text>
<xsl:value-of select="date:difference('2013-04-29', '2013-05-01')"/>|<xsl:value-of select="date:difference('2013-04-29T10:00:00', '2013-04-29T12:30:15')"/>|<xsl:value-of select="date:difference('2014-01-01', '2013-01-01')"/>|<xsl:value-of select="date:difference('2013', '2015')"/>|<xsl:value-of select="date:difference('2013-01', '2014-03')"/>|<xsl:value-of select="date:add-duration('P1D', 'PT1H')"/>|<xsl:value-of select="date:add-duration('P1Y', 'P13M')"/>|<xsl:value-of select="date:add-duration('P1D', '-P2D')"/>|<xsl:value-of select="date:sum(document('')//*[local-name()='d'])"/>
</xsl:template>
<x:ds xmlns:x="urn:x"><x:d>P1D</x:d><x:d>PT2H</x:d><x:d>PT30M</x:d></x:ds>
</xsl:stylesheet>
