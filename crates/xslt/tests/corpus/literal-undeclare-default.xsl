<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">

<xsl:template match="/"><root xmlns="urn:x"><child xmlns=""><gc/></child></root></xsl:template>
</xsl:stylesheet>
