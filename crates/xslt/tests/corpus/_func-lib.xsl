<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform" xmlns:func="http://exslt.org/functions" xmlns:lib="urn:lib" extension-element-prefixes="func">
<func:function name="lib:label"><xsl:param name="s"/><func:result select="concat('lib:', $s)"/></func:function>
<func:function name="lib:only"><func:result select="'from lib'"/></func:function>
</xsl:stylesheet>
