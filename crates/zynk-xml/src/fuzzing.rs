//! The entry point the fuzz target (`fuzz/`) and the robustness test share: every reader on
//! arbitrary bytes, and the properties a read document must have. It panics only when a
//! property fails, so any panic the fuzzer finds is a bug.

use crate::Company;

/// Reads `data` as a Zynk document (lenient and strict). A document that reads is written and
/// read back: the written form must read and hold the same records, and from the second writing
/// on the text must not change (the first may: a malformed record is written as it was read,
/// with forbidden characters replaced, and may read as a whole record after that).
pub fn read_document(data: &[u8]) {
    let Ok(company) = Company::parse_bytes(data) else {
        return;
    };
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = Company::parse_strict(text);
    }
    let written = company.to_xml();
    let again = match Company::parse(&written) {
        Ok(again) => again,
        Err(error) => panic!("the written document does not read back: {error}\n{written}"),
    };
    let count = |company: &Company| {
        (
            company.customers.as_ref().map_or(0, Vec::len),
            company.sales_orders.as_ref().map_or(0, Vec::len),
            company.products.as_ref().map_or(0, Vec::len),
            company.invoices.as_ref().map_or(0, Vec::len),
            company.transactions.as_ref().map_or(0, Vec::len),
        )
    };
    assert_eq!(count(&company), count(&again), "records lost in {written}");
    let second = again.to_xml();
    let third = match Company::parse(&second) {
        Ok(third) => third,
        Err(error) => panic!("the rewritten document does not read back: {error}\n{second}"),
    };
    assert_eq!(count(&again), count(&third), "records lost in {second}");
    assert_eq!(second, third.to_xml(), "writing is not stable");
}
