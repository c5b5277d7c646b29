<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:date="http://exslt.org/dates-and-times">
<xsl:output method="text"/>
<xsl:template match="/">
<xsl:for-each select="document('')//*[local-name()='v']">
<xsl:variable name="d" select="string(.)"/>
<xsl:value-of select="concat($d, ': ', date:year($d), ' ', date:week-in-year($d), ' ', date:day-in-week($d), ' ', date:leap-year($d), ' ', date:day-in-year($d), ' ', date:month-in-year($d), ' ', date:day-in-month($d), ' ', date:second-in-minute($d), ' [', date:date($d), '|', date:time($d), ']')"/>
<xsl:text>&#10;</xsl:text>
</xsl:for-each>
<xsl:value-of select="string-length(date:date-time()) &gt;= 19"/>|<xsl:value-of select="date:year() &gt; 2000"/>|<xsl:value-of select="function-available('date:day-name')"/>|<xsl:value-of select="function-available('date:nope')"/>|<xsl:value-of select="date:year(//order[1]/@created)"/>|<xsl:value-of select="date:month-name(substring(//order[2]/@created, 1, 10))"/>
</xsl:template>
<x:vals xmlns:x="urn:x"><x:v>2010-01-01</x:v><x:v>2009-12-31</x:v><x:v>2008-12-29</x:v><x:v>2016-01-03</x:v><x:v>2020-12-31</x:v><x:v>2021-01-04</x:v><x:v>1600-02-29</x:v><x:v>1700-02-29</x:v><x:v>12013-04-29</x:v><x:v>0000-01-01</x:v><x:v>2013-13-01</x:v><x:v>2013-04-29T24:00:00</x:v><x:v>2013-04-29T23:60:00</x:v><x:v>2013-04-29T10:00:00.250Z</x:v><x:v>2013-04-29T10:00:00+15:00</x:v><x:v>---07</x:v><x:v>--02-29</x:v><x:v>--13</x:v><x:v> 2013-04-29 </x:v><x:v>2013-04-29T10:00</x:v><x:v>-0001-03-01</x:v><x:v>-0005-02-29</x:v></x:vals>
</xsl:stylesheet>
