#!/usr/bin/env bash
# Static checks of the Terraform in infra/ (`make infra-check`). Creates nothing in any cloud.
#  1. terraform fmt -check -recursive infra            when a terraform binary is on PATH
#  2. terraform validate (example) + terraform test (module, mocked provider)
#                                                      when terraform can also get the
#                                                      hashicorp/aws provider (TF_PLUGIN_DIR,
#                                                      /opt/tf-plugins, or the registry)
#  3. checkov -d infra, installed once into target/peers/checkov-venv  always
# Fails on unformatted HCL, an invalid configuration, a failed terraform test, or any failed
# checkov check. Steps 2 and 3 work on a copy of infra/ in a temporary directory (1 and 3 read
# infra/ in place), so the working tree gets no .terraform/ or lock files.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="$ROOT/target/peers/checkov-venv"
CHECKOV="$VENV/bin/checkov"
say() { echo "infra-check: $*"; }

# A TF_CLI_CONFIG_FILE naming a missing file only makes terraform print a warning per command.
if [ -n "${TF_CLI_CONFIG_FILE:-}" ] && [ ! -f "$TF_CLI_CONFIG_FILE" ]; then
  unset TF_CLI_CONFIG_FILE
fi

# --- 1. terraform fmt -----------------------------------------------------------------------
have_terraform=false
if command -v terraform >/dev/null 2>&1; then
  have_terraform=true
  say "$(terraform version 2>/dev/null | head -1): fmt -check -recursive infra"
  if ! terraform fmt -check -recursive -diff infra; then
    say "FAILED: the files above are not in canonical terraform fmt style (run: terraform fmt -recursive infra)" >&2
    exit 1
  fi
  say "terraform fmt: ok"
else
  say "note: no terraform binary on PATH, skipping terraform fmt -check, validate and test"
fi

# --- 2. terraform validate + test (needs the aws provider; skipped when it cannot be had) ---
if $have_terraform; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cp -r infra "$work/"
  export TF_IN_AUTOMATION=1
  plugin_dir="${TF_PLUGIN_DIR:-}"
  if [ -z "$plugin_dir" ] && [ -d /opt/tf-plugins ]; then plugin_dir=/opt/tf-plugins; fi
  init_args=(-backend=false -input=false -no-color)
  if [ -n "$plugin_dir" ]; then init_args+=("-plugin-dir=$plugin_dir"); fi

  tf_init() { (cd "$1" && timeout 180 terraform init "${init_args[@]}" >"$work/init.log" 2>&1); }
  if tf_init "$work/infra/examples/two-customers"; then
    start=$(date +%s)
    (cd "$work/infra/examples/two-customers" && terraform validate -no-color)
    tf_init "$work/infra/modules/wharf-pipeline"
    if ! (cd "$work/infra/modules/wharf-pipeline" && terraform test -no-color) | tee "$work/test.log" \
      || ! grep -q '^Success!' "$work/test.log"; then
      say "FAILED: terraform test" >&2
      exit 1
    fi
    say "terraform validate + test: ok ($(( $(date +%s) - start ))s)"
  else
    say "note: terraform init could not get the hashicorp/aws provider (set TF_PLUGIN_DIR to a provider mirror); skipping terraform validate and test:"
    { grep -m1 -A2 'Error' "$work/init.log" || tail -3 "$work/init.log"; } | sed 's/^/  /'
  fi
fi

# --- 3. checkov (installed idempotently) ----------------------------------------------------
if [ ! -x "$CHECKOV" ]; then
  say "installing checkov into ${VENV#"$ROOT"/} (first time only; takes a few minutes)"
  start=$(date +%s)
  mkdir -p "$(dirname "$VENV")"
  rm -rf "$VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check --upgrade pip
  "$VENV/bin/pip" install --quiet --disable-pip-version-check checkov
  say "checkov installed in $(( $(date +%s) - start ))s"
fi

say "checkov $("$CHECKOV" --version 2>/dev/null | tail -1): -d infra --framework terraform"
start=$(date +%s)
out="$(mktemp)"
# checkov exits non-zero when a check fails: keep its output and decide below.
rc=0
"$CHECKOV" -d infra --framework terraform --skip-download --quiet --compact -o cli >"$out" 2>&1 || rc=$?
cat "$out"
summary="$(grep -E 'Passed checks: [0-9]+, Failed checks: [0-9]+, Skipped checks: [0-9]+' "$out" | tail -1 || true)"
rm -f "$out"
say "checkov took $(( $(date +%s) - start ))s"

if [ -z "$summary" ]; then
  say "FAILED: checkov printed no summary (exit $rc)" >&2
  exit 1
fi
passed=$(sed -E 's/.*Passed checks: ([0-9]+).*/\1/' <<<"$summary")
failed=$(sed -E 's/.*Failed checks: ([0-9]+).*/\1/' <<<"$summary")
skipped=$(sed -E 's/.*Skipped checks: ([0-9]+).*/\1/' <<<"$summary")
if [ "$rc" -ne 0 ] || [ "$failed" != "0" ]; then
  say "FAILED: checkov exit $rc, $failed failed check(s)" >&2
  exit 1
fi
say "$passed passed, $failed failed, $skipped skipped"
