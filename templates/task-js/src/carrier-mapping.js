// Zynk XML sales orders -> a carrier's consignment CSV.
//
// Plain JavaScript with no Wharf imports, so it runs (and is unit-tested) under Node as well as
// inside the component.

import { XMLParser, XMLValidator } from "fast-xml-parser";

/** The carrier's columns, in order. */
export const COLUMNS = [
  "order_ref",
  "order_date",
  "recipient",
  "company",
  "address_1",
  "address_2",
  "town",
  "county",
  "postcode",
  "country",
  "phone",
  "email",
  "service",
  "items",
  "goods_value",
];

export const SERVICES = ["standard", "express", "next-day"];

/** The input is not a Zynk XML document the mapping can read. */
export class MappingError extends Error {}

const parser = new XMLParser({
  ignoreAttributes: true,
  // Every value stays text: "0845 123 2920" and "007" are not numbers.
  parseTagValue: false,
  trimValues: true,
  isArray: (name, path) =>
    path === "Company.SalesOrders.SalesOrder" ||
    path === "Company.SalesOrders.SalesOrder.SalesOrderItems.Item",
});

/** The text of a child element, or "" when it is absent or empty. */
function text(element, name) {
  const value = element?.[name];
  return typeof value === "string" ? value.trim() : "";
}

function number(value, what, orderRef) {
  const parsed = Number(value || "0");
  if (!Number.isFinite(parsed)) {
    throw new RangeError(`order ${orderRef}: ${what} \`${value}\` is not a number`);
  }
  return parsed;
}

/**
 * Reads the sales orders of a Zynk XML document (`<Company><SalesOrders><SalesOrder>`).
 * Returns `{ orders, rows, skipped }`: one row per consignment, one line per order left out.
 */
export function consignments(xml, service) {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) {
    throw new MappingError(`not well-formed XML: ${valid.err.msg} (line ${valid.err.line})`);
  }
  const document = parser.parse(xml);
  const root = Object.keys(document).find((name) => name !== "?xml");
  if (root !== "Company") {
    throw new MappingError(`the root element is <${root}>, not a Zynk <Company>`);
  }
  const orders = document.Company?.SalesOrders?.SalesOrder ?? [];
  const result = { orders: orders.length, rows: [], skipped: [] };
  for (const order of orders) {
    const orderRef = text(order, "SalesOrderNumber") || text(order, "Id");
    let address = order.SalesOrderDeliveryAddress;
    if (!text(address, "Postcode")) address = order.SalesOrderAddress;
    if (!text(address, "Postcode")) {
      result.skipped.push(`order ${orderRef || "?"}: no delivery postcode`);
      continue;
    }
    let items = 0;
    let goods = 0;
    try {
      for (const item of order.SalesOrderItems?.Item ?? []) {
        const qty = number(text(item, "QtyOrdered"), "QtyOrdered", orderRef);
        items += qty;
        goods += qty * number(text(item, "UnitPrice"), "UnitPrice", orderRef);
      }
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      result.skipped.push(e.message);
      continue;
    }
    const recipient = [text(address, "Forename"), text(address, "Surname")]
      .filter(Boolean)
      .join(" ");
    result.rows.push([
      orderRef,
      text(order, "SalesOrderDate").slice(0, 10),
      recipient || text(address, "Company"),
      text(address, "Company"),
      text(address, "Address1"),
      text(address, "Address2"),
      text(address, "Town"),
      text(address, "County"),
      text(address, "Postcode"),
      text(address, "Country"),
      text(address, "Telephone"),
      text(address, "Email"),
      service,
      // Up to three decimals, without trailing zeros: 1, 2.5.
      String(Number(items.toFixed(3))),
      goods.toFixed(2),
    ]);
  }
  return result;
}

/** One CSV field, quoted only when it holds a comma, a quote or a line break (RFC 4180). */
function field(value) {
  return /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

/** RFC 4180 CSV with a header line and CRLF line ends. */
export function toCsv(rows) {
  return [COLUMNS, ...rows].map((row) => row.map(field).join(",") + "\r\n").join("");
}
