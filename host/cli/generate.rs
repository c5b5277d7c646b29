//! `wharf generate`: realistic sample data for demos and benchmarks, streamed to disk so any
//! size can be produced in constant memory.

use anyhow::{Context, Result};
use std::io::{BufWriter, Write};
use std::path::Path;

const CATEGORIES: [(&str, &str, &str); 6] = [
    ("Office Equipment", "Presentation Supplies", "Whiteboards"),
    ("Consumables", "Printer", "Toner"),
    ("Stationery", "Writing", "Pens & Pencils"),
    ("Computing", "Storage", "USB Drives"),
    ("Furniture", "Seating", "Office Chairs"),
    ("Paper", "Copier Paper", "A4 Reams"),
];
const ITEMS: [&str; 8] = [
    "Whiteboard - Drywipe (900 x 1200)",
    "LP200 Laser Printer Toner",
    "Gel Ink Pen, Black (Box of 12)",
    "USB Flash Drive 64GB",
    "Mesh Back Operator Chair",
    "Premium White Copier Paper A4 80gsm",
    "Lever Arch File, Blue & Green",
    "Desk Tidy <Black>",
];

/// A small deterministic generator (xorshift) so the same seed gives the same file.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes a Zynk product export (`Company/Products/Product`, shaped like Sage's stock export).
/// With `target_bytes` set, products are added until the file reaches that size.
pub fn products(
    path: &Path,
    count: Option<u64>,
    target_bytes: Option<u64>,
    seed: u64,
) -> Result<u64> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let file =
        std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?;
    let mut out = CountingWriter {
        inner: BufWriter::with_capacity(1 << 20, file),
        written: 0,
    };
    let mut rng = Rng(seed.max(1));
    out.write_all(
        b"<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Company xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n  <Products>\n",
    )?;
    let mut n = 0u64;
    loop {
        if count.is_some_and(|c| n >= c) || target_bytes.is_some_and(|t| out.written >= t) {
            break;
        }
        if count.is_none() && target_bytes.is_none() {
            break;
        }
        n += 1;
        let (c1, c2, c3) = CATEGORIES[rng.below(CATEGORIES.len() as u64) as usize];
        let item = ITEMS[rng.below(ITEMS.len() as u64) as usize];
        let price = 1.0 + rng.below(50_000) as f64 / 100.0;
        let cost = (price * 0.7 * 100.0).round() / 100.0;
        let stock = rng.below(500);
        let allocated = rng.below(stock + 1) / 4;
        let publish = rng.below(4) != 0;
        write!(
            out,
            "    <Product>\n      <Sku>SKU{n:07}</Sku>\n      <Barcode />\n      <Name>{name}</Name>\n      <Description>{name}</Description>\n      <LongDescription>{name}.\n\nSupplied by Stationary &amp; Computer Mart. Item {n} of the range.</LongDescription>\n      <ImageUrl>sku{n:07}.jpg</ImageUrl>\n      <ThumbnailUrl>sku{n:07}.jpg</ThumbnailUrl>\n      <Custom1>{c1}</Custom1>\n      <Custom2>{c2}</Custom2>\n      <Custom3>{c3}</Custom3>\n      <SalePrice>{price:.2}</SalePrice>\n      <UnitWeight>0</UnitWeight>\n      <QtyInStock>{stock}</QtyInStock>\n      <QtyOnOrder>0</QtyOnOrder>\n      <ReorderQty>2</ReorderQty>\n      <ReorderLvl>1</ReorderLvl>\n      <TaxCode>1</TaxCode>\n      <GroupCode>{group}</GroupCode>\n      <Department>1</Department>\n      <UnitOfSale>Each</UnitOfSale>\n      <NominalCode>4000</NominalCode>\n      <Publish>{publish}</Publish>\n      <ProductLevel>0</ProductLevel>\n      <SpecialOffer>false</SpecialOffer>\n      <QtyAllocated>{allocated}</QtyAllocated>\n      <LastCostPrice>{cost:.2}</LastCostPrice>\n      <AverageCostPrice>{cost:.2}</AverageCostPrice>\n      <RRPPrice xsi:nil=\"true\" />\n      <Attachments />\n      <DateModified xsi:nil=\"true\" />\n      <SupplierAccountRef>UNI001</SupplierAccountRef>\n      <PurchaseNominalCode>5000</PurchaseNominalCode>\n    </Product>\n",
            name = escape(item),
            c1 = escape(c1),
            c2 = escape(c2),
            c3 = escape(c3),
            group = rng.below(9) + 1,
        )?;
    }
    out.write_all(b"  </Products>\n  <Customers />\n  <SalesOrders />\n</Company>\n")?;
    out.inner.flush()?;
    Ok(n)
}

struct CountingWriter<W: Write> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}
