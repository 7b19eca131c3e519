#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Every sctp_* symbol the real libsctp.so.1 (lksctp-tools) exports, with its
# version (sctp_send@@VERS_1, sctp_connectx@VERS_2, the unversioned base
# sctp_connectx, ...), must be exported the same way by each library given,
# and libsctp.so.1's soname must match: otherwise a binary linked against the
# real one fails to load or binds to the wrong sctp_connectx.
# Usage: symbols_test.sh OUR_LIBRARY...   (REAL_LIBSCTP overrides the path)
# Exit: 0 match; 1 something missing; 77 (meson: skipped) no real libsctp.so.1.
set -u
real=${REAL_LIBSCTP:-$(/sbin/ldconfig -p 2>/dev/null | awk '$1 == "libsctp.so.1" {print $NF; exit}')}
if [ -z "$real" ] || [ ! -f "$real" ]; then
  echo "SKIP: the real libsctp.so.1 is not installed (Debian package libsctp1)"
  exit 77
fi
if ! command -v readelf >/dev/null; then
  echo "SKIP: readelf (binutils) is not installed"
  exit 77
fi

# Defined global functions, one "name@version" a line.
exports() {
  readelf --dyn-syms -W "$1" | awk '$5 == "GLOBAL" && $7 != "UND" && $8 ~ /^sctp_/ {print $8}' | sort -u
}
soname() { readelf -d "$1" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p'; }

want=$(exports "$real")
if [ -z "$want" ]; then
  echo "FAIL: found no sctp_* symbols in $real: readelf output not understood"
  exit 1
fi
echo "real: $real exports $(echo "$want" | wc -l) sctp_* symbols"
failed=0
for lib in "$@"; do
  have=$(exports "$lib")
  missing=$(comm -23 <(echo "$want") <(echo "$have"))
  extra=$(comm -13 <(echo "$want") <(echo "$have"))
  if [ -n "$missing" ]; then
    echo "FAIL $lib lacks:"
    echo "$missing" | sed 's/^/  /'
    failed=1
  else
    echo "PASS $lib exports all of them${extra:+ (and also: $(echo $extra))}"
  fi
  if [ "$(basename "$lib")" = libsctp.so.1 ] && [ "$(soname "$lib")" != "$(soname "$real")" ]; then
    echo "FAIL $lib: soname '$(soname "$lib")', the real one's is '$(soname "$real")'"
    failed=1
  fi
done
exit $failed
