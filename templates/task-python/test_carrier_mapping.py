"""Unit tests of the mapping, run natively: python3 -m unittest"""

import csv
import io
import unittest

from carrier_mapping import COLUMNS, MappingError, consignments, to_csv

ORDERS = b"""<?xml version="1.0" encoding="utf-8"?>
<Company>
  <SalesOrders>
    <SalesOrder>
      <Id>456</Id>
      <SalesOrderNumber>789</SalesOrderNumber>
      <SalesOrderDate>2011-01-01T11:11:11</SalesOrderDate>
      <SalesOrderDeliveryAddress>
        <Forename>Ann</Forename><Surname>Smith</Surname><Company>Smith, Jones &amp; Co</Company>
        <Address1>1 High St</Address1><Town>Leeds</Town><Postcode>LS1 1AA</Postcode>
        <Country>GB</Country>
      </SalesOrderDeliveryAddress>
      <SalesOrderItems>
        <Item><Sku>A</Sku><QtyOrdered>2</QtyOrdered><UnitPrice>9.99</UnitPrice></Item>
        <Item><Sku>B</Sku><QtyOrdered>0.5</QtyOrdered><UnitPrice>4</UnitPrice></Item>
      </SalesOrderItems>
    </SalesOrder>
    <SalesOrder>
      <Id>457</Id>
      <SalesOrderAddress><Company>No Postcode Ltd</Company></SalesOrderAddress>
    </SalesOrder>
  </SalesOrders>
</Company>"""


class ConsignmentsTest(unittest.TestCase):
    def test_an_order_becomes_one_row(self):
        found = consignments(ORDERS, "express")
        self.assertEqual(found.orders, 2)
        self.assertEqual(len(found.rows), 1)
        row = dict(zip(COLUMNS, found.rows[0]))
        self.assertEqual(row["order_ref"], "789")
        self.assertEqual(row["order_date"], "2011-01-01")
        self.assertEqual(row["recipient"], "Ann Smith")
        self.assertEqual(row["postcode"], "LS1 1AA")
        self.assertEqual(row["service"], "express")
        self.assertEqual(row["items"], "2.5")
        self.assertEqual(row["goods_value"], "21.98")

    def test_an_order_without_a_postcode_is_left_out_and_said_why(self):
        found = consignments(ORDERS, "standard")
        self.assertEqual(found.skipped, ["order 457: no delivery postcode"])

    def test_the_csv_quotes_a_comma_and_reads_back(self):
        text = to_csv(consignments(ORDERS, "standard").rows)
        self.assertTrue(text.startswith(",".join(COLUMNS) + "\r\n"))
        self.assertIn('"Smith, Jones & Co"', text)
        self.assertEqual(list(csv.reader(io.StringIO(text)))[1][3], "Smith, Jones & Co")

    def test_not_xml_is_refused(self):
        with self.assertRaisesRegex(MappingError, "not well-formed"):
            consignments(b"<Company>", "standard")

    def test_another_document_is_refused(self):
        with self.assertRaisesRegex(MappingError, "not a Zynk <Company>"):
            consignments(b"<Orders/>", "standard")


if __name__ == "__main__":
    unittest.main()
