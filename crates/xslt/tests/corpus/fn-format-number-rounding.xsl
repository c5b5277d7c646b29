<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:template match="/"><xsl:for-each select="document('')//*[local-name()='n']"><xsl:value-of select="concat(@v, ' ', @p, ' = ', format-number(number(@v), @p))"/><xsl:text>&#10;</xsl:text></xsl:for-each></xsl:template>
<x:ns xmlns:x="urn:x"><x:n v="0.5" p="#"/><x:n v="1.5" p="#"/><x:n v="-1.5" p="0"/><x:n v="0.045" p="0.00"/><x:n v="1.005" p="0.00"/><x:n v="0.125" p="0.00"/><x:n v="1e-20" p="0.00"/><x:n v="123456789012" p="#,##0"/><x:n v="-0.0" p="0.0"/><x:n v="9.995" p="0.00"/><x:n v="99.5" p="00"/><x:n v="0.1" p="00.00%"/><x:n v="1234.5" p="#,##,###.##"/><x:n v="1234.5" p=",##0.0"/><x:n v="1234.5" p="#,##0.0,0"/><x:n v="5" p=";"/><x:n v="-5" p="#;"/><x:n v="-5" p="#;(#"/><x:n v="12" p="#0#"/><x:n v="12" p="0.#0"/><x:n v="0.999" p="#.##"/><x:n v="1234" p="#,#"/><x:n v="1234" p="0,"/><x:n v="1e15" p="#.##"/><x:n v="abc" p="#"/><x:n v="Infinity" p="#"/></x:ns>
</xsl:stylesheet>
