<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:date="http://exslt.org/dates-and-times">
<xsl:output method="text"/>
<xsl:template match="/">
<xsl:for-each select="document('')//*[local-name()='v']">
<xsl:variable name="d" select="string(.)"/>
<xsl:value-of select="concat($d, ': ', date:year($d), ' ', date:month-in-year($d), ' ', date:day-in-month($d), ' ', date:month-name($d), ' ', date:month-abbreviation($d), ' ', date:day-in-week($d), ' ', date:day-name($d), ' ', date:day-abbreviation($d), ' ', date:hour-in-day($d), ' ', date:minute-in-hour($d), ' ', date:second-in-minute($d), ' ', date:leap-year($d), ' ', date:day-in-year($d), ' ', date:week-in-year($d), ' ', date:day-of-week-in-month($d), ' [', date:date($d), '] [', date:time($d), ']')"/>
<xsl:text>&#10;</xsl:text>
</xsl:for-each>
</xsl:template>
<x:vals xmlns:x="urn:x"><x:v>2013-04-29T13:11:04</x:v><x:v>2013-04-29</x:v><x:v>2012-02-29T23:59:59.5+01:00</x:v><x:v>2000-12-31Z</x:v><x:v>13:11:04</x:v><x:v>2013-04</x:v><x:v>2013</x:v><x:v>--04-29</x:v><x:v>nonsense</x:v><x:v>2013-02-30</x:v><x:v>-0044-03-15</x:v><x:v>1900-01-01T00:00:00-05:00</x:v><x:v></x:v></x:vals>
</xsl:stylesheet>
