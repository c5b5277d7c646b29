// Unit tests of the mapping, run natively: npm test
import { test } from "node:test";
import assert from "node:assert/strict";
import { COLUMNS, MappingError, consignments, toCsv } from "../src/carrier-mapping.js";

const ORDERS = `<?xml version="1.0" encoding="utf-8"?>
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
</Company>`;

test("an order becomes one row", () => {
  const found = consignments(ORDERS, "express");
  assert.equal(found.orders, 2);
  assert.equal(found.rows.length, 1);
  const row = Object.fromEntries(COLUMNS.map((column, i) => [column, found.rows[0][i]]));
  assert.equal(row.order_ref, "789");
  assert.equal(row.order_date, "2011-01-01");
  assert.equal(row.recipient, "Ann Smith");
  assert.equal(row.postcode, "LS1 1AA");
  assert.equal(row.service, "express");
  assert.equal(row.items, "2.5");
  assert.equal(row.goods_value, "21.98");
});

test("an order without a postcode is left out and said why", () => {
  assert.deepEqual(consignments(ORDERS, "standard").skipped, ["order 457: no delivery postcode"]);
});

test("the csv quotes a comma", () => {
  const csv = toCsv(consignments(ORDERS, "standard").rows);
  assert.ok(csv.startsWith(COLUMNS.join(",") + "\r\n"));
  assert.ok(csv.includes('"Smith, Jones & Co"'));
});

test("not xml is refused", () => {
  assert.throws(() => consignments("<Company>", "standard"), MappingError);
});

test("another document is refused", () => {
  assert.throws(() => consignments("<Orders/>", "standard"), /not a Zynk <Company>/);
});
