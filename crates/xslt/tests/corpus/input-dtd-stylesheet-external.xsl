<?xml version="1.0"?>
<!DOCTYPE xsl:stylesheet SYSTEM "_entities.dtd">
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text" encoding="UTF-8"/>
<xsl:template match="/">a&nbsp;b&copy;|<xsl:value-of select="count(document('input-dtd-external.xml')//item)"/>|<xsl:value-of select="document('input-dtd-external.xml')/r/@version"/>|<xsl:value-of select="document('input-dtd-external.xml')//item[2]"/></xsl:template>
</xsl:stylesheet>
