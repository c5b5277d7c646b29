<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="html"/>
<xsl:template match="/"><html><body><custom><x:y xmlns:x="urn:x">ns</x:y></custom><foo/><hr/></body></html></xsl:template>
</xsl:stylesheet>
