<root>not a stylesheet</root>
