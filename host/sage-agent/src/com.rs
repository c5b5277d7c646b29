//! [`Automation`] through COM: `CLSIDFromProgID` + `CoCreateInstance`, then late-bound
//! `IDispatch::GetIDsOfNames`/`Invoke`, as VBScript would call Sage Data Objects.
//!
//! VARIANTs are built and read here by hand, converting with oleaut32's `VariantChangeType`:
//! the `windows` crate's own VARIANT conversions call propsys functions that Wine (where the
//! tests run this against the fake SDO server) does not have.

use std::mem::ManuallyDrop;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use windows::Win32::Foundation::{DISP_E_EXCEPTION, DISP_E_MEMBERNOTFOUND, VARIANT_BOOL};
use windows::Win32::System::Com::{
    CLSCTX_INPROC_SERVER, CLSCTX_LOCAL_SERVER, CLSIDFromProgID, COINIT_APARTMENTTHREADED,
    CoCreateInstance, CoInitializeEx, CoUninitialize, DISPATCH_FLAGS, DISPATCH_METHOD,
    DISPATCH_PROPERTYGET, DISPATCH_PROPERTYPUT, DISPPARAMS, EXCEPINFO, IDispatch,
};
use windows::Win32::System::Ole::DISPID_PROPERTYPUT;
use windows::Win32::System::Variant::{
    VAR_CHANGE_FLAGS, VARENUM, VARIANT, VT_BOOL, VT_BSTR, VT_DATE, VT_DISPATCH, VT_EMPTY, VT_I4,
    VT_I8, VT_NULL, VT_R8, VariantChangeType, VariantClear,
};
use windows::core::{BSTR, GUID, HSTRING, PCWSTR};

use crate::sdo::{Automation, CallError, Variant};

/// COM errors as the agent reports them.
pub fn call_error(error: &windows::core::Error) -> CallError {
    CallError {
        hresult: error.code().0 as u32,
        message: error.message(),
    }
}

/// OLE dates count days from 1899-12-30.
fn ole_epoch() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(1899, 12, 30)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .expect("a valid date")
}

fn to_ole_date(value: NaiveDateTime) -> f64 {
    (value - ole_epoch()).num_milliseconds() as f64 / 86_400_000.0
}

fn from_ole_date(days: f64) -> NaiveDateTime {
    ole_epoch() + Duration::milliseconds((days * 86_400_000.0).round() as i64)
}

/// A VARIANT of type `vt` whose union `fill` sets.
fn raw(
    vt: VARENUM,
    fill: impl FnOnce(&mut windows::Win32::System::Variant::VARIANT_0_0_0),
) -> VARIANT {
    let mut variant = VARIANT::default();
    // SAFETY: a zeroed VARIANT is VT_EMPTY; we set its tag and the matching union member.
    unsafe {
        let inner = &mut *variant.Anonymous.Anonymous;
        inner.vt = vt;
        fill(&mut inner.Anonymous);
    }
    variant
}

/// A VARIANT owning a copy of `value` (release it with `VariantClear`).
pub fn to_variant(value: &Variant<IDispatch>) -> VARIANT {
    match value {
        Variant::Empty => VARIANT::default(),
        Variant::Bool(v) => raw(VT_BOOL, |u| {
            u.boolVal = VARIANT_BOOL(if *v { -1 } else { 0 })
        }),
        Variant::Int(v) => match i32::try_from(*v) {
            Ok(small) => raw(VT_I4, |u| u.lVal = small),
            Err(_) => raw(VT_I8, |u| u.llVal = *v),
        },
        Variant::Float(v) => raw(VT_R8, |u| u.dblVal = *v),
        Variant::Text(v) => raw(VT_BSTR, |u| {
            u.bstrVal = ManuallyDrop::new(BSTR::from(v.as_str()))
        }),
        Variant::Date(v) => raw(VT_DATE, |u| u.date = to_ole_date(*v)),
        Variant::Object(v) => raw(VT_DISPATCH, |u| {
            u.pdispVal = ManuallyDrop::new(Some(v.clone()))
        }),
    }
}

/// `value` converted by oleaut32 to `vt`.
fn changed(value: &VARIANT, vt: VARENUM) -> Result<VARIANT, CallError> {
    let mut out = VARIANT::default();
    // SAFETY: both are valid VARIANTs; `out` is owned by the caller afterwards.
    unsafe { VariantChangeType(&mut out, value, VAR_CHANGE_FLAGS(0), vt) }
        .map_err(|e| call_error(&e))?;
    Ok(out)
}

/// Reads a VARIANT (it stays owned by the caller).
pub fn from_variant(value: &VARIANT) -> Result<Variant<IDispatch>, CallError> {
    // SAFETY: the tag says which union member is live; each arm reads only that one.
    unsafe {
        let inner = &*value.Anonymous.Anonymous;
        Ok(match inner.vt {
            VT_EMPTY | VT_NULL => Variant::Empty,
            VT_BOOL => Variant::Bool(inner.Anonymous.boolVal.0 != 0),
            VT_I4 => Variant::Int(i64::from(inner.Anonymous.lVal)),
            VT_I8 => Variant::Int(inner.Anonymous.llVal),
            VT_R8 => Variant::Float(inner.Anonymous.dblVal),
            VT_BSTR => Variant::Text(inner.Anonymous.bstrVal.to_string()),
            VT_DATE => Variant::Date(from_ole_date(inner.Anonymous.date)),
            VT_DISPATCH => match &*inner.Anonymous.pdispVal {
                Some(object) => Variant::Object(object.clone()),
                None => Variant::Empty,
            },
            // Other integer and decimal types, and references: let oleaut32 convert them.
            _ => {
                let mut number = changed(value, VT_R8);
                if let Ok(converted) = &mut number {
                    let read = converted.Anonymous.Anonymous.Anonymous.dblVal;
                    let _ = VariantClear(converted);
                    if read.fract() == 0.0 && read.abs() < 9.0e15 {
                        return Ok(Variant::Int(read as i64));
                    }
                    return Ok(Variant::Float(read));
                }
                let mut text = changed(value, VT_BSTR)?;
                let read = text.Anonymous.Anonymous.Anonymous.bstrVal.to_string();
                let _ = VariantClear(&mut text);
                Variant::Text(read)
            }
        })
    }
}

/// COM on this thread (single-threaded apartment, as SDO expects), for the agent's lifetime.
pub struct ComAutomation {
    _apartment: (),
}

impl ComAutomation {
    pub fn initialise() -> windows::core::Result<ComAutomation> {
        // SAFETY: once per thread; balanced by CoUninitialize in Drop.
        unsafe { CoInitializeEx(None, COINIT_APARTMENTTHREADED) }.ok()?;
        Ok(ComAutomation { _apartment: () })
    }

    fn invoke(
        &mut self,
        target: &IDispatch,
        name: &str,
        flags: DISPATCH_FLAGS,
        args: &[Variant<IDispatch>],
        put: bool,
    ) -> Result<Variant<IDispatch>, CallError> {
        let wide = HSTRING::from(name);
        let names = [PCWSTR(wide.as_ptr())];
        let mut dispid = 0i32;
        // SAFETY: one name in, one DISPID out.
        unsafe { target.GetIDsOfNames(&GUID::zeroed(), names.as_ptr(), 1, 0, &mut dispid) }
            .map_err(|e| CallError {
                hresult: e.code().0 as u32,
                message: format!("the object has no member {name}"),
            })?;
        // IDispatch takes its arguments last first.
        let mut arguments: Vec<VARIANT> = args.iter().rev().map(to_variant).collect();
        let mut named = [DISPID_PROPERTYPUT];
        let params = DISPPARAMS {
            rgvarg: arguments.as_mut_ptr(),
            rgdispidNamedArgs: if put {
                named.as_mut_ptr()
            } else {
                std::ptr::null_mut()
            },
            cArgs: arguments.len() as u32,
            cNamedArgs: u32::from(put),
        };
        let mut result = VARIANT::default();
        let mut exception = EXCEPINFO::default();
        // SAFETY: every pointer is valid for the call's duration.
        let outcome = unsafe {
            target.Invoke(
                dispid,
                &GUID::zeroed(),
                0,
                flags,
                &params,
                Some(&mut result as *mut VARIANT),
                Some(&mut exception as *mut EXCEPINFO),
                None,
            )
        };
        for argument in &mut arguments {
            // SAFETY: each was built by to_variant and is released once.
            let _ = unsafe { VariantClear(argument) };
        }
        let read = match outcome {
            Ok(()) => from_variant(&result),
            Err(error) if error.code() == DISP_E_EXCEPTION => Err(CallError {
                hresult: if exception.scode != 0 {
                    exception.scode as u32
                } else {
                    error.code().0 as u32
                },
                message: format!("{name}: {}", *exception.bstrDescription),
            }),
            Err(error) if error.code() == DISP_E_MEMBERNOTFOUND => Err(CallError {
                hresult: error.code().0 as u32,
                message: format!("the object has no member {name} to call this way"),
            }),
            Err(error) => Err(CallError {
                hresult: error.code().0 as u32,
                message: format!("{name}: {}", error.message()),
            }),
        };
        // SAFETY: release what Invoke handed back, and the exception's strings.
        unsafe {
            let _ = VariantClear(&mut result);
            ManuallyDrop::drop(&mut exception.bstrSource);
            ManuallyDrop::drop(&mut exception.bstrDescription);
            ManuallyDrop::drop(&mut exception.bstrHelpFile);
        }
        read
    }
}

impl Drop for ComAutomation {
    fn drop(&mut self) {
        // SAFETY: balances the CoInitializeEx of `initialise`.
        unsafe { CoUninitialize() };
    }
}

impl Automation for ComAutomation {
    type Object = IDispatch;

    fn create(&mut self, program_id: &str) -> Result<IDispatch, CallError> {
        // SAFETY: plain COM activation by ProgID.
        unsafe {
            let class = CLSIDFromProgID(&HSTRING::from(program_id)).map_err(|e| call_error(&e))?;
            CoCreateInstance(&class, None, CLSCTX_INPROC_SERVER | CLSCTX_LOCAL_SERVER)
                .map_err(|e| call_error(&e))
        }
    }

    fn get(
        &mut self,
        target: &IDispatch,
        name: &str,
        args: &[Variant<IDispatch>],
    ) -> Result<Variant<IDispatch>, CallError> {
        self.invoke(
            target,
            name,
            DISPATCH_PROPERTYGET | DISPATCH_METHOD,
            args,
            false,
        )
    }

    fn put(
        &mut self,
        target: &IDispatch,
        name: &str,
        value: Variant<IDispatch>,
    ) -> Result<(), CallError> {
        self.invoke(target, name, DISPATCH_PROPERTYPUT, &[value], true)
            .map(|_| ())
    }

    fn call(
        &mut self,
        target: &IDispatch,
        name: &str,
        args: &[Variant<IDispatch>],
    ) -> Result<Variant<IDispatch>, CallError> {
        self.invoke(target, name, DISPATCH_METHOD, args, false)
    }
}
