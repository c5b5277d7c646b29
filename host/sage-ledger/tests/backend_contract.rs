//! The backend contract (`sage_ledger::contract`) on the embedded ledger.

sage_ledger::sage_backend_contract!(Box::new(
    sage_ledger::Ledger::open_in_memory().expect("an in-memory ledger opens")
));

/// The operations only the embedded ledger implements so far (docs/sage50.md).
mod ledger_operations {
    sage_ledger::sage_ledger_operations_contract!(Box::new(
        sage_ledger::Ledger::open_in_memory().expect("an in-memory ledger opens")
    ));
}
