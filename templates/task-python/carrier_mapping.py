"""Zynk XML sales orders -> a carrier's consignment CSV.

Pure Python with no Wharf imports, so it runs (and is unit-tested) natively as well as inside
the component.
"""

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

# The carrier's columns, in order.
COLUMNS = [
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
]

SERVICES = ["standard", "express", "next-day"]


class MappingError(Exception):
    """The input is not a Zynk XML document the mapping can read."""


@dataclass
class Consignments:
    """What the mapping made of one document."""

    orders: int = 0
    rows: list = field(default_factory=list)
    # One line per order left out, saying which and why.
    skipped: list = field(default_factory=list)


def text(element, path):
    """The stripped text at `path` under `element`, or "" when it is absent."""
    found = element.find(path) if element is not None else None
    return (found.text or "").strip() if found is not None else ""


def number(value, what, order_ref):
    try:
        return Decimal(value or "0")
    except InvalidOperation:
        raise ValueError(f"order {order_ref}: {what} `{value}` is not a number") from None


def plain(value):
    """A decimal without trailing zeros or an exponent: 1, 2.5."""
    return format(value.normalize(), "f") if value != value.to_integral() else str(int(value))


def consignments(xml_bytes, service):
    """Reads the sales orders of a Zynk XML document (`<Company><SalesOrders><SalesOrder>`)."""
    try:
        root = ET.fromstring(xml_bytes)
    except ET.ParseError as e:
        raise MappingError(f"not well-formed XML: {e}") from None
    if root.tag != "Company":
        raise MappingError(f"the root element is <{root.tag}>, not a Zynk <Company>")
    result = Consignments()
    for order in root.iterfind("SalesOrders/SalesOrder"):
        result.orders += 1
        order_ref = text(order, "SalesOrderNumber") or text(order, "Id")
        address = order.find("SalesOrderDeliveryAddress")
        if address is None or not text(address, "Postcode"):
            address = order.find("SalesOrderAddress")
        if not text(address, "Postcode"):
            result.skipped.append(f"order {order_ref or '?'}: no delivery postcode")
            continue
        try:
            items = Decimal(0)
            goods = Decimal(0)
            for item in order.iterfind("SalesOrderItems/Item"):
                qty = number(text(item, "QtyOrdered"), "QtyOrdered", order_ref)
                price = number(text(item, "UnitPrice"), "UnitPrice", order_ref)
                items += qty
                goods += qty * price
        except ValueError as e:
            result.skipped.append(str(e))
            continue
        recipient = " ".join(
            part for part in (text(address, "Forename"), text(address, "Surname")) if part
        )
        result.rows.append(
            [
                order_ref,
                text(order, "SalesOrderDate")[:10],
                recipient or text(address, "Company"),
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
                plain(items),
                str(goods.quantize(Decimal("0.01"))),
            ]
        )
    return result


def to_csv(rows):
    """RFC 4180 CSV with a header line: CRLF line ends, fields quoted only when needed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return out.getvalue()
