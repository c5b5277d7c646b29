#!/usr/bin/env bash
# Installs Debian packages for the tests and demos: `.ci/apt-install.sh PACKAGE...`.
# A mirror in the middle of a sync makes `apt-get update` fail for one index ("File has
# unexpected size … Mirror sync in progress?"), which once failed a whole CI run: the update is
# tried three times, and the install then goes ahead with the indexes it has. Only a failed
# install (tried twice) fails the caller.
set -euo pipefail
[ $# -gt 0 ] || exit 0

for wait in 15 45 0; do
  apt-get update -qq && break
  [ "$wait" -gt 0 ] || { echo "apt-install: apt-get update failed three times; installing from the indexes there are" >&2; break; }
  echo "apt-install: apt-get update failed; trying again in ${wait}s" >&2
  sleep "$wait"
done
for wait in 30 0; do
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" && exit 0
  [ "$wait" -gt 0 ] || break
  echo "apt-install: installing $* failed; refreshing the indexes and trying again in ${wait}s" >&2
  sleep "$wait"
  apt-get update -qq || true
done
# A mirror older than the machine's image (an installed package at a version no index has any
# more, e.g. a security update the mirror's security index lost) makes co-installing i386
# packages (wine32) unresolvable: a Multi-Arch: same package must be at one version on both
# architectures. Last try: move each such package to the version the indexes offer for i386.
if dpkg --print-foreign-architectures | grep -qx i386; then
  pins=()
  while read -r pkg version; do
    candidate=$(apt-cache policy "$pkg:i386" 2>/dev/null | awk '/Candidate:/ { print $2 }')
    case "$candidate" in "" | "(none)" | "$version") continue ;; esac
    # Kept where some index still has the installed version.
    apt-cache madison "$pkg" | awk -v v="$version" '$3 == v { found = 1 } END { exit found }' || continue
    pins+=("$pkg=$candidate")
  done < <(dpkg-query -W -f '${Package} ${Version} ${Architecture} ${Multi-Arch} ${db:Status-Abbrev}\n' |
    awk '$3 == "amd64" && $4 == "same" && $5 == "ii" { print $1, $2 }')
  if [ ${#pins[@]} -gt 0 ]; then
    echo "apt-install: installed versions missing from the indexes; moving to the indexes' ones: ${pins[*]}" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends --allow-downgrades \
      "${pins[@]}" "$@" && exit 0
  fi
fi
echo "apt-install: could not install $*" >&2
exit 1
