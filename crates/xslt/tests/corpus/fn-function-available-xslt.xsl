<stylesheet version="1.0" xmlns="http://www.w3.org/1999/XSL/Transform">
<output method="text"/>
<template match="/"><for-each select="document('')//*[local-name()='names']/*"><value-of select="name()"/>=<value-of select="function-available(name())"/>,</for-each></template>
<x:names xmlns:x="urn:x"><concat/><document/><key/><format-number/><current/><unparsed-entity-uri/><generate-id/><system-property/><element-available/><function-available/><lang/><id/><if/><node-set/><round/><foo/></x:names>
</stylesheet>
