<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/>
<xsl:variable name="files" select="document('')//d:f" xmlns:d="urn:d"/><xsl:template match="/"><xsl:value-of select="count(document($files))"/>|<xsl:value-of select="document($files)//Details"/></xsl:template><d:files xmlns:d="urn:d"><d:f>_smartdebit-fail.xml</d:f><d:f>_smartdebit-fail.xml</d:f></d:files>
</xsl:stylesheet>
