"""Writes work/orders.xls (BIFF8, with xlwt) and work/orders.xlsx (with openpyxl), the
workbooks this case and the excel-to-xml unit tests read. Run once; the files are committed:
    python3 -m venv /tmp/v && /tmp/v/bin/pip install xlwt openpyxl && /tmp/v/bin/python make-workbooks.py
"""
import datetime

import openpyxl
import xlwt

SUMMARY = [["Report", "Orders to import"]]
ORDERS = [
    ["OrderNumber", "AccountReference", "Unit Price", "Qty", "Ordered"],
    [1001, "A1D001", 4.5, 2, datetime.datetime(2024, 5, 10, 9, 30)],
    [1002, "BBS001", 10, 1, datetime.datetime(2024, 5, 11)],
]

book = xlwt.Workbook()
date_style = xlwt.easyxf(num_format_str="yyyy-mm-dd hh:mm")
for name, rows in [("Summary", SUMMARY), ("Orders", ORDERS)]:
    sheet = book.add_sheet(name)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if isinstance(value, datetime.datetime):
                sheet.write(r, c, value, date_style)
            else:
                sheet.write(r, c, value)
book.save("work/orders.xls")

book = openpyxl.Workbook()
book.active.title = "Summary"
for row in SUMMARY:
    book.active.append(row)
orders = book.create_sheet("Orders")
for row in ORDERS:
    orders.append(row)
book.save("work/orders.xlsx")
