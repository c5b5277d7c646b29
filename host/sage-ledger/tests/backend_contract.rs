//! The backend contract (`sage_ledger::contract`) on the embedded ledger.

sage_ledger::sage_backend_contract!(Box::new(
    sage_ledger::Ledger::open_in_memory().expect("an in-memory ledger opens")
));
