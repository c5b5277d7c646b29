<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:set="http://exslt.org/sets" xmlns:math="http://exslt.org/math" xmlns:str="http://exslt.org/strings" xmlns:exsl="http://exslt.org/common" exclude-result-prefixes="set math str exsl">
<xsl:output method="xml" indent="no" encoding="UTF-8"/>
<xsl:template match="/"><r><xsl:value-of select="math:constant('SQRT2', 8)"/>|<xsl:value-of select="math:constant('PI', 6)"/></r></xsl:template>
</xsl:stylesheet>
