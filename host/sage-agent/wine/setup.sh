#!/usr/bin/env bash
# The Windows side of the Sage agent tests (docs/sage50.md), idempotent:
#   - the x86_64-pc-windows-gnu and i686-pc-windows-gnu targets (rustup) — mingw-w64, wine64 and
#     wine32 come from .ci/run (apt);
#   - wharf-sage-agent.exe, the fake SDO COM server (wharf_sage_fake_sdo.dll) and
#     wharf-sage-runner.exe, built into the shared target dir (target/x86_64-pc-windows-gnu/debug),
#     and the agent and fake server for 32-bit SDO (target/i686-pc-windows-gnu/debug);
#   - the ProcessPrng shim beside each (Wine 8.0 has no bcryptprimitives.dll);
#   - a Wine prefix in target/wine-prefix with the fake server registered as SDOEngine.32, the
#     64-bit build in the 64-bit registry and the 32-bit build in the 32-bit one (WoW64).
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$PWD

for tool in x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc /usr/lib/wine/wine64 /usr/lib/wine/wine; do
  command -v "$tool" >/dev/null || { echo "setup.sh: $tool is missing: install mingw-w64 (x86_64 and i686), wine64 and wine32 (.ci/run does)" >&2; exit 1; }
done
for t in x86_64-pc-windows-gnu i686-pc-windows-gnu; do
  grep -x "$t" <<<"$(rustup target list --installed)" >/dev/null || rustup target add "$t"
done

# One invocation for the 64-bit programs, so they share one feature resolution.
cargo build -p wharf-sage-agent -p wharf-sage-fake-sdo -p wharf-sage-runner --target x86_64-pc-windows-gnu
# The agent (and the fake server it talks to) for 32-bit Sage Data Objects (up to v29).
cargo build -p wharf-sage-agent -p wharf-sage-fake-sdo --target i686-pc-windows-gnu

src=host/sage-agent/wine/bcryptprimitives.c
for arch in x86_64 i686; do
  shim=$root/target/$arch-pc-windows-gnu/debug/bcryptprimitives.dll
  if [ ! -f "$shim" ] || [ "$src" -nt "$shim" ]; then
    # i686: the .def's undecorated name is the stdcall ProcessPrng@8 (as Windows exports it).
    fixup=(); [ "$arch" = i686 ] && fixup=(-Wl,--enable-stdcall-fixup)
    "$arch-w64-mingw32-gcc" -O2 -shared "${fixup[@]}" -o "$shim" "$src" host/sage-agent/wine/bcryptprimitives.def -lbcrypt
  fi
done

export WINEPREFIX=$root/target/wine-prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wine=/usr/lib/wine/wine64
# A prefix made before wine32 was installed has no 32-bit side (syswow64): make it again.
if [ -f "$WINEPREFIX/system.reg" ] && [ ! -f "$WINEPREFIX/drive_c/windows/syswow64/kernel32.dll" ]; then
  rm -rf "$WINEPREFIX"
fi
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  "$wine" wineboot -i >/dev/null 2>&1
  /usr/lib/wine/wineserver -w
fi
clsid='{6F1D2C1A-8E33-4B6F-9A52-3C1B7E5D9A01}'
for view in 64 32; do
  arch=x86_64; [ "$view" = 32 ] && arch=i686
  out=$root/target/$arch-pc-windows-gnu/debug
  dll="Z:${out//\//\\}\\wharf_sage_fake_sdo.dll"
  registered=$("$wine" reg query "HKCR\\CLSID\\$clsid\\InprocServer32" /ve /reg:$view 2>/dev/null | tr -d '\r' || true)
  if [[ "$registered" != *"$dll"* ]]; then
    "$wine" reg add "HKCR\\SDOEngine.32\\CLSID" /ve /d "$clsid" /f /reg:$view >/dev/null
    "$wine" reg add "HKCR\\CLSID\\$clsid\\ProgID" /ve /d "SDOEngine.32" /f /reg:$view >/dev/null
    "$wine" reg add "HKCR\\CLSID\\$clsid\\InprocServer32" /ve /d "$dll" /f /reg:$view >/dev/null
    "$wine" reg add "HKCR\\CLSID\\$clsid\\InprocServer32" /v ThreadingModel /d Apartment /f /reg:$view >/dev/null
    /usr/lib/wine/wineserver -w
  fi
done
