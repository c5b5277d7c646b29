<stylesheet version="1.0" xmlns="http://www.w3.org/1999/XSL/Transform" xmlns:x="http://www.w3.org/1999/XSL/Transform">
<output method="text"/>
<template match="/"><value-of select="element-available('if')"/>|<value-of select="element-available('x:if')"/>|<value-of select="element-available('for-each')"/>|<value-of select="element-available('nonesuch')"/>|<value-of select="element-available('x:nonesuch')"/>|<value-of select="function-available('concat')"/>|<value-of select="element-available('apply-imports')"/>|<value-of select="element-available('output')"/>|<value-of select="element-available('template')"/>|<value-of select="element-available('fallback')"/></template>
</stylesheet>
