<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"><xsl:output method="html"/>
<xsl:template match="/"><html><body><p title="a&#160;b©">x&#160;y © é — &#8364; &#x1F600;</p></body></html></xsl:template></xsl:stylesheet>
