#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# `meson install --destdir` into a temporary directory, then check what was
# installed and use it: compile and link a program with the installed
# sctpmap.pc, run it, run the installed sctpmap-run, and run a program linked
# against the real libsctp over the installed libsctp.so.1.
# Environment (set by tests/integration/meson.build): MESON, BUILD_ROOT,
# PREFIX, LIBDIR, INCLUDEDIR, BINDIR, DATADIR, CC, SANITIZE_FLAGS,
# LINKED_API_REAL (empty without libsctp-dev).
# Exit: 0 all good; 1 a check failed; 77 (meson: skipped) no pkg-config.
set -u
if ! command -v pkg-config >/dev/null; then
  echo "SKIP: pkg-config is not installed"
  exit 77
fi
dest=$(mktemp -d /tmp/sctpmap-install-XXXXXX)
trap 'rm -rf "$dest"' EXIT
failed=0
fail() { echo "FAIL: $*"; failed=1; }

# Options under the prefix are relative; an absolute one stays as given.
under_prefix() { case $1 in /*) echo "$dest$1" ;; *) echo "$dest$PREFIX/$1" ;; esac; }
lib=$(under_prefix "$LIBDIR")
inc=$(under_prefix "$INCLUDEDIR")
bin=$(under_prefix "$BINDIR")
doc=$(under_prefix "$DATADIR")/doc/sctpmap

if ! $MESON install -C "$BUILD_ROOT" --no-rebuild --quiet --destdir "$dest" >"$dest.log" 2>&1; then
  cat "$dest.log"
  rm -f "$dest.log"
  echo "FAIL: meson install"
  exit 1
fi
rm -f "$dest.log"

for f in "$lib/libsctpmap.so" "$lib/sctpmap/libsctp.so.1" "$lib/pkgconfig/sctpmap.pc" \
         "$inc/sctpmap/sctpmap.h" "$inc/sctpmap/netinet/sctp.h" \
         "$bin/sctpmap-run" "$bin/sctpmap-perf" \
         "$doc/ARCHITECTURE.md" "$doc/COMPATIBILITY.md" "$doc/PERFORMANCE.md" "$doc/PROTOCOL.md"; do
  [ -f "$f" ] || fail "not installed: ${f#"$dest"}"
done
[ -x "$bin/sctpmap-run" ] || fail "sctpmap-run is not executable"
# The system's header and library must never be replaced.
[ ! -e "$inc/netinet/sctp.h" ] || fail "installed over <netinet/sctp.h>: ${inc#"$dest"}/netinet/sctp.h"
[ ! -e "$lib/libsctp.so.1" ] || fail "installed libsctp.so.1 in the libdir itself"
echo "installed files: ok"

# A program built only from what pkg-config says; the sysroot maps the .pc's
# absolute paths into the destdir.
export PKG_CONFIG_PATH="$lib/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest"
if ! flags=$(pkg-config --cflags --libs sctpmap); then
  fail "pkg-config --cflags --libs sctpmap"
else
  echo "pkg-config sctpmap: $flags"
  cat >"$dest/hello.c" <<'C'
#include <netinet/sctp.h>
#include <sctpmap.h>
#include <sctpmap/sctpmap.h>
#include <stdio.h>
#ifndef SCTPMAP_NETINET_SCTP_H
#error "pkg-config's -I does not make <netinet/sctp.h> sctpmap's"
#endif
int main(void) {
  int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
  if (fd < 0 || !sctpmap_is_emulated(fd)) { perror("emulated SCTP socket"); return 1; }
  if (sctp_getaddrlen(AF_INET) != sizeof(struct sockaddr_in)) return 2;
  printf("sctpmap %s: emulated SCTP socket %d\n", sctpmap_version(), fd);
  return 0;
}
C
  # shellcheck disable=SC2086  # CC and flags are word lists
  if ! $CC $SANITIZE_FLAGS -o "$dest/hello" "$dest/hello.c" $flags; then
    fail "compiling against the installed tree"
  elif ! LD_LIBRARY_PATH="$lib" "$dest/hello"; then
    fail "the program linked with pkg-config's flags did not run"
  fi
fi

# The installed sctpmap-run must preload the installed library (SCTPMAP_LIB,
# if the caller's environment has it, would override the search).
preload=$(env -u SCTPMAP_LIB "$bin/sctpmap-run" printenv LD_PRELOAD)
case $preload in
  *"$lib/libsctpmap.so"*) echo "installed sctpmap-run preloads $lib/libsctpmap.so" ;;
  *) fail "installed sctpmap-run preloaded '$preload', not $lib/libsctpmap.so" ;;
esac
preload=$(env -u SCTPMAP_LIB "$BUILD_ROOT/tools/sctpmap-run" printenv LD_PRELOAD)
case $preload in
  *"$BUILD_ROOT/libsctpmap.so"*) echo "build-tree sctpmap-run preloads $BUILD_ROOT/libsctpmap.so" ;;
  *) fail "build-tree sctpmap-run preloaded '$preload', not $BUILD_ROOT/libsctpmap.so" ;;
esac

if [ -n "${LINKED_API_REAL:-}" ]; then
  LD_LIBRARY_PATH="$lib/sctpmap" "$LINKED_API_REAL" "$lib/sctpmap/libsctp.so.1" ||
    fail "a program linked with -lsctp over the installed libsctp.so.1"
fi

[ $failed -eq 0 ] && echo "PASS"
exit $failed
