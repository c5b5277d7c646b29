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
echo "apt-install: could not install $*" >&2
exit 1
