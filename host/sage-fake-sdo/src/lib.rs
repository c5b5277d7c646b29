//! A fake Sage Data Objects COM server: `wharf_sage_fake_sdo.dll`, an in-process server for the
//! ProgID `SDOEngine.32` (class [`CLSID_FAKE_SDO`]). Every object it hands out is an
//! `IDispatch` over the agent's fake Sage 50 (`sage_agent::fake`), so `wharf-sage-agent`'s
//! real COM layer — ProgID lookup, `CoCreateInstance`, `GetIDsOfNames`, `Invoke`, VARIANTs —
//! runs against it under Wine exactly as it would against Sage's own SDO.
//!
//! Registration (what the tests do in their Wine prefix, docs/sage50.md):
//! `HKCR\SDOEngine.32\CLSID` = the class id, `HKCR\CLSID\{class id}\InprocServer32` = the
//! DLL's path, `ThreadingModel` = `Apartment`.

#[cfg(windows)]
mod server;

#[cfg(windows)]
pub use server::CLSID_FAKE_SDO;

/// The class id, as registry text.
pub const CLSID_TEXT: &str = "{6F1D2C1A-8E33-4B6F-9A52-3C1B7E5D9A01}";
