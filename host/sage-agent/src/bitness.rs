//! Which bitness a Windows program is built for: the agent must match Sage Data Objects' (32-bit
//! only up to v29, 32- or 64-bit from v30.1; docs/sage50.md, "Setting up the Sage machine").

/// A Windows program's bitness, from its PE header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bitness {
    Bits32,
    Bits64,
}

impl Bitness {
    /// The PE header's machine type of a build for this bitness (i386, AMD64).
    pub fn machine(self) -> u16 {
        match self {
            Bitness::Bits32 => 0x014c,
            Bitness::Bits64 => 0x8664,
        }
    }

    pub fn bits(self) -> u32 {
        match self {
            Bitness::Bits32 => 32,
            Bitness::Bits64 => 64,
        }
    }

    /// The Rust target that builds the agent for this bitness.
    pub fn target(self) -> &'static str {
        match self {
            Bitness::Bits32 => "i686-pc-windows-gnu",
            Bitness::Bits64 => "x86_64-pc-windows-gnu",
        }
    }
}

/// The machine type of a PE (Windows) program: the `MZ` header points at `PE\0\0`, followed by
/// the two-byte machine field. `None`: not a Windows program.
pub fn pe_machine(bytes: &[u8]) -> Option<u16> {
    if bytes.get(..2)? != b"MZ" {
        return None;
    }
    let offset = u32::from_le_bytes(bytes.get(0x3c..0x40)?.try_into().ok()?) as usize;
    if bytes.get(offset..offset.checked_add(4)?)? != b"PE\0\0" {
        return None;
    }
    let machine = bytes.get(offset.checked_add(4)?..offset.checked_add(6)?)?;
    Some(u16::from_le_bytes([machine[0], machine[1]]))
}

/// Whether the program at `path` is built for `bitness`; the error says what it is and which
/// build to use instead.
pub fn check_program(path: &std::path::Path, bitness: Bitness) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let machine = pe_machine(&bytes).ok_or_else(|| {
        format!(
            "{} is not a Windows program, so its bitness cannot be {}",
            path.display(),
            bitness.bits()
        )
    })?;
    if machine == bitness.machine() {
        return Ok(());
    }
    let built = match machine {
        0x014c => "32-bit (i686)".to_owned(),
        0x8664 => "64-bit (x86_64)".to_owned(),
        other => format!("machine type {other:#06x}"),
    };
    Err(format!(
        "{} is a {built} program, but Sage Data Objects is {}-bit here: use the agent built for {}",
        path.display(),
        bitness.bits(),
        bitness.target()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal PE header: `MZ`, the offset of `PE\0\0` at 0x3c, then the machine type.
    fn program(machine: u16) -> Vec<u8> {
        let mut bytes = vec![0u8; 0x48];
        bytes[..2].copy_from_slice(b"MZ");
        bytes[0x3c..0x40].copy_from_slice(&0x40u32.to_le_bytes());
        bytes[0x40..0x44].copy_from_slice(b"PE\0\0");
        bytes[0x44..0x46].copy_from_slice(&machine.to_le_bytes());
        bytes
    }

    #[test]
    fn the_program_must_match_the_bitness() {
        let dir = tempfile::tempdir().unwrap();
        let agent = dir.path().join("agent.exe");
        std::fs::write(&agent, program(0x8664)).unwrap();
        assert_eq!(check_program(&agent, Bitness::Bits64), Ok(()));
        let message = check_program(&agent, Bitness::Bits32).unwrap_err();
        assert!(
            message.contains("64-bit (x86_64)") && message.contains("i686-pc-windows-gnu"),
            "{message}"
        );
        std::fs::write(&agent, program(0x014c)).unwrap();
        assert_eq!(check_program(&agent, Bitness::Bits32), Ok(()));
        std::fs::write(&agent, b"#!/bin/sh\n").unwrap();
        let message = check_program(&agent, Bitness::Bits32).unwrap_err();
        assert!(message.contains("not a Windows program"), "{message}");
    }

    #[test]
    fn a_truncated_or_lying_header_is_no_program() {
        assert_eq!(pe_machine(b"MZ"), None);
        let mut bytes = program(0x8664);
        bytes[0x3c..0x40].copy_from_slice(&u32::MAX.to_le_bytes());
        assert_eq!(pe_machine(&bytes), None);
    }
}
