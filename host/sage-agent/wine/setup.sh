#!/usr/bin/env bash
# The Windows side of the Sage agent tests (docs/sage50.md), idempotent:
#   - the x86_64-pc-windows-gnu target (rustup) — mingw-w64 and wine64 come from .ci/run (apt);
#   - wharf-sage-agent.exe and the fake SDO COM server (wharf_sage_fake_sdo.dll), built into the
#     shared target dir (target/x86_64-pc-windows-gnu/debug), and the i686 agent
#     (target/i686-pc-windows-gnu/debug) for 32-bit SDO;
#   - the ProcessPrng shim beside them (Wine 8.0 has no bcryptprimitives.dll);
#   - a Wine prefix in target/wine-prefix with the fake server registered as SDOEngine.32.
set -euo pipefail
cd "$(dirname "$0")/../../.."
root=$PWD
target=x86_64-pc-windows-gnu
out=$root/target/$target/debug

for tool in x86_64-w64-mingw32-gcc i686-w64-mingw32-gcc /usr/lib/wine/wine64; do
  command -v "$tool" >/dev/null || { echo "setup.sh: $tool is missing: install mingw-w64 (x86_64 and i686) and wine64 (.ci/run does)" >&2; exit 1; }
done
for t in "$target" i686-pc-windows-gnu; do
  rustup target list --installed | grep -qx "$t" || rustup target add "$t"
done

cargo build -p wharf-sage-agent -p wharf-sage-fake-sdo --target "$target"
# The agent for 32-bit Sage Data Objects (up to v29): built and checked, not run here.
cargo build -p wharf-sage-agent --target i686-pc-windows-gnu

shim=$out/bcryptprimitives.dll
src=host/sage-agent/wine/bcryptprimitives.c
if [ ! -f "$shim" ] || [ "$src" -nt "$shim" ]; then
  x86_64-w64-mingw32-gcc -O2 -shared -o "$shim" "$src" host/sage-agent/wine/bcryptprimitives.def -lbcrypt
fi

export WINEPREFIX=$root/target/wine-prefix WINEDEBUG=-all WINEDLLOVERRIDES="mscoree,mshtml="
wine=/usr/lib/wine/wine64
if [ ! -f "$WINEPREFIX/system.reg" ]; then
  "$wine" wineboot -i >/dev/null 2>&1
  /usr/lib/wine/wineserver -w
fi
clsid='{6F1D2C1A-8E33-4B6F-9A52-3C1B7E5D9A01}'
dll="Z:${out//\//\\}\\wharf_sage_fake_sdo.dll"
registered=$("$wine" reg query "HKCR\\CLSID\\$clsid\\InprocServer32" /ve 2>/dev/null | tr -d '\r' || true)
if [[ "$registered" != *"$dll"* ]]; then
  "$wine" reg add "HKCR\\SDOEngine.32\\CLSID" /ve /d "$clsid" /f >/dev/null
  "$wine" reg add "HKCR\\CLSID\\$clsid\\ProgID" /ve /d "SDOEngine.32" /f >/dev/null
  "$wine" reg add "HKCR\\CLSID\\$clsid\\InprocServer32" /ve /d "$dll" /f >/dev/null
  "$wine" reg add "HKCR\\CLSID\\$clsid\\InprocServer32" /v ThreadingModel /d Apartment /f >/dev/null
  /usr/lib/wine/wineserver -w
fi
