//! The COM side: class factory, `IDispatch` objects, the DLL's exports.

use std::cell::RefCell;
use std::ffi::c_void;
use std::rc::Rc;

use sage_agent::com::{from_variant, to_variant};
use sage_agent::fake::{FakeSdo, MEMBER_NOT_FOUND, PROGRAM_ID};
use sage_agent::sdo::{Automation, CallError, Variant};
use windows::Win32::Foundation::{
    CLASS_E_CLASSNOTAVAILABLE, CLASS_E_NOAGGREGATION, DISP_E_EXCEPTION, DISP_E_MEMBERNOTFOUND,
    DISP_E_TYPEMISMATCH, E_NOTIMPL, E_POINTER, S_FALSE,
};
use windows::Win32::System::Com::{
    DISPATCH_FLAGS, DISPATCH_METHOD, DISPATCH_PROPERTYGET, DISPATCH_PROPERTYPUT, DISPPARAMS,
    EXCEPINFO, IClassFactory, IClassFactory_Impl, IDispatch, IDispatch_Impl, ITypeInfo,
};
use windows::Win32::System::Variant::VARIANT;
use windows::core::{BOOL, BSTR, GUID, HRESULT, IUnknown, Interface, PCWSTR, Ref, implement};

pub const CLSID_FAKE_SDO: GUID = GUID::from_u128(0x6F1D2C1A_8E33_4B6F_9A52_3C1B7E5D9A01);

thread_local! {
    /// Member names by DISPID - 1 (one table for every object: names mean the same everywhere).
    static NAMES: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

fn dispid_of(name: &str) -> i32 {
    NAMES.with_borrow_mut(|names| {
        let index = match names.iter().position(|n| n.eq_ignore_ascii_case(name)) {
            Some(index) => index,
            None => {
                names.push(name.to_owned());
                names.len() - 1
            }
        };
        index as i32 + 1
    })
}

fn name_of(dispid: i32) -> Option<String> {
    let index = usize::try_from(dispid).ok()?.checked_sub(1)?;
    NAMES.with_borrow(|names| names.get(index).cloned())
}

#[implement(IDispatch)]
struct FakeObject {
    world: Rc<RefCell<FakeSdo>>,
    handle: usize,
}

impl FakeObject {
    fn dispatch(world: &Rc<RefCell<FakeSdo>>, handle: usize) -> IDispatch {
        FakeObject {
            world: world.clone(),
            handle,
        }
        .into()
    }

    fn outward(&self, value: Variant<usize>) -> Variant<IDispatch> {
        let world = &self.world;
        value
            .map_object(|handle| Ok::<_, std::convert::Infallible>(Self::dispatch(world, handle)))
            .unwrap_or_else(|never| match never {})
    }
}

fn inward(value: Variant<IDispatch>) -> Result<Variant<usize>, CallError> {
    value.map_object(|_| {
        Err(CallError {
            hresult: DISP_E_TYPEMISMATCH.0 as u32,
            message: "the fake SDO takes no objects as arguments".into(),
        })
    })
}

impl IDispatch_Impl for FakeObject_Impl {
    fn GetTypeInfoCount(&self) -> windows::core::Result<u32> {
        Ok(0)
    }

    fn GetTypeInfo(&self, _index: u32, _lcid: u32) -> windows::core::Result<ITypeInfo> {
        Err(E_NOTIMPL.into())
    }

    fn GetIDsOfNames(
        &self,
        _riid: *const GUID,
        names: *const PCWSTR,
        count: u32,
        _lcid: u32,
        ids: *mut i32,
    ) -> windows::core::Result<()> {
        if names.is_null() || ids.is_null() {
            return Err(E_POINTER.into());
        }
        for index in 0..count as usize {
            // SAFETY: the caller passes `count` names and room for `count` ids.
            unsafe {
                let name = (*names.add(index)).to_string().map_err(|_| E_POINTER)?;
                *ids.add(index) = dispid_of(&name);
            }
        }
        Ok(())
    }

    fn Invoke(
        &self,
        dispid: i32,
        _riid: *const GUID,
        _lcid: u32,
        flags: DISPATCH_FLAGS,
        params: *const DISPPARAMS,
        result: *mut VARIANT,
        exception: *mut EXCEPINFO,
        _argument_error: *mut u32,
    ) -> windows::core::Result<()> {
        let name = name_of(dispid).ok_or(DISP_E_MEMBERNOTFOUND)?;
        let mut args = Vec::new();
        if !params.is_null() {
            // SAFETY: DISPPARAMS holds cArgs VARIANTs, last argument first.
            unsafe {
                let params = &*params;
                for index in (0..params.cArgs as usize).rev() {
                    let value = from_variant(&*params.rgvarg.add(index))
                        .and_then(inward)
                        .map_err(|e| HRESULT(e.hresult as i32))?;
                    args.push(value);
                }
            }
        }
        let outcome = {
            let mut world = self.world.borrow_mut();
            let target = self.handle;
            if flags.contains(DISPATCH_PROPERTYPUT) {
                match args.pop() {
                    Some(value) => world.put(&target, &name, value).map(|()| Variant::Empty),
                    None => Err(CallError {
                        hresult: DISP_E_TYPEMISMATCH.0 as u32,
                        message: format!("{name} = nothing"),
                    }),
                }
            } else if flags.contains(DISPATCH_PROPERTYGET) {
                match world.get(&target, &name, &args) {
                    Err(error)
                        if error.hresult == MEMBER_NOT_FOUND && flags.contains(DISPATCH_METHOD) =>
                    {
                        world.call(&target, &name, &args)
                    }
                    other => other,
                }
            } else {
                world.call(&target, &name, &args)
            }
        };
        match outcome {
            Ok(value) => {
                if !result.is_null() {
                    // SAFETY: the caller's result VARIANT is empty and now owns this value.
                    unsafe { *result = to_variant(&self.outward(value)) };
                }
                Ok(())
            }
            Err(error) if error.hresult == MEMBER_NOT_FOUND => Err(DISP_E_MEMBERNOTFOUND.into()),
            Err(error) => {
                if !exception.is_null() {
                    // SAFETY: the caller's EXCEPINFO, filled as IDispatch specifies.
                    unsafe {
                        (*exception).bstrDescription =
                            std::mem::ManuallyDrop::new(BSTR::from(error.message.as_str()));
                        (*exception).scode = error.hresult as i32;
                    }
                }
                Err(DISP_E_EXCEPTION.into())
            }
        }
    }
}

#[implement(IClassFactory)]
struct Factory;

impl IClassFactory_Impl for Factory_Impl {
    fn CreateInstance(
        &self,
        outer: Ref<IUnknown>,
        iid: *const GUID,
        object: *mut *mut c_void,
    ) -> windows::core::Result<()> {
        if !outer.is_null() {
            return Err(CLASS_E_NOAGGREGATION.into());
        }
        let mut world = FakeSdo::new();
        let engine = world
            .create(PROGRAM_ID)
            .map_err(|e| HRESULT(e.hresult as i32))?;
        let dispatch = FakeObject::dispatch(&Rc::new(RefCell::new(world)), engine);
        // SAFETY: QueryInterface into the caller's out pointer.
        unsafe { dispatch.query(iid, object).ok() }
    }

    fn LockServer(&self, _lock: BOOL) -> windows::core::Result<()> {
        Ok(())
    }
}

/// COM asks the DLL for the class factory of `class`.
///
/// # Safety
/// Called by COM with valid pointers.
#[unsafe(no_mangle)]
pub unsafe extern "system" fn DllGetClassObject(
    class: *const GUID,
    iid: *const GUID,
    object: *mut *mut c_void,
) -> HRESULT {
    // SAFETY: COM passes valid pointers.
    unsafe {
        if class.is_null() || object.is_null() {
            return E_POINTER;
        }
        *object = std::ptr::null_mut();
        if *class != CLSID_FAKE_SDO {
            return CLASS_E_CLASSNOTAVAILABLE;
        }
        let factory: IClassFactory = Factory.into();
        factory.query(iid, object)
    }
}

/// Objects hold the fake company: never unload while a process may still use them.
#[unsafe(no_mangle)]
pub extern "system" fn DllCanUnloadNow() -> HRESULT {
    S_FALSE
}
