#!/usr/bin/env bash
# `make lambda`: builds `bootstrap` for Lambda's provided.al2023 runtime (x86_64, glibc 2.34) and
# zips it as target/lambda/wharf-lambda.zip. cargo-zigbuild and zig come from PyPI into
# target/peers/zig-venv (installed once). Prints the zip's size.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"

VENV="$ROOT/target/peers/zig-venv"
if [ ! -x "$VENV/bin/cargo-zigbuild" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'cargo-zigbuild>=0.19' 'ziglang>=0.13'
fi
export PATH="$VENV/bin:$PATH"
# ziglang installs zig as a Python module; cargo-zigbuild finds it through `python3 -m ziglang`
# with the venv's python first on PATH. Symbols stripped: the zip is what Lambda cold-starts.
export CARGO_PROFILE_RELEASE_STRIP=symbols
TARGET=x86_64-unknown-linux-gnu
cargo zigbuild --release -p wharf-lambda --target "$TARGET.2.34"
BIN="$ROOT/target/$TARGET/release/bootstrap"
OUT="$ROOT/target/lambda"
mkdir -p "$OUT"
rm -f "$OUT/wharf-lambda.zip"
# zipfile keeps the file mode, so `bootstrap` stays executable inside the zip.
( cd "$(dirname "$BIN")" && python3 -m zipfile -c "$OUT/wharf-lambda.zip" bootstrap )
python3 - "$OUT/wharf-lambda.zip" "$BIN" <<'PY'
import os, sys, zipfile
z, b = sys.argv[1], sys.argv[2]
info = zipfile.ZipFile(z).getinfo("bootstrap")
assert (info.external_attr >> 16) & 0o111, "bootstrap is not executable inside the zip"
print(f"wharf-lambda.zip: {os.path.getsize(z)/1e6:.1f} MB (bootstrap {os.path.getsize(b)/1e6:.1f} MB unzipped) in {os.path.dirname(z)}")
PY
