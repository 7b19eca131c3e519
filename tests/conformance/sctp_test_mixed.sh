#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Conformance: the UNMODIFIED sctp_test from Debian's lksctp-tools in its
# mixed mode (-L/-S), through LD_PRELOAD=$SCTPMAP_LIB on 127.0.0.1: the
# server listens on 3 consecutive ports (one-to-many sockets), the client
# opens 3 sockets and sends to every server port, for a few seconds (the mode
# runs until stopped). Every one of the 9 associations must come up and carry
# data, and neither side may report an error.
# Exit: 0 pass; 1 fail; 77 (meson: skipped) when sctp_test is not installed.
set -u
SCTP_TEST=${SCTP_TEST:-/usr/bin/sctp_test}
if [ ! -x "$SCTP_TEST" ]; then
  echo "SKIP: $SCTP_TEST is not installed (Debian package lksctp-tools)"
  exit 77
fi
LIB=${SCTPMAP_LIB:?run through meson test}
WORK=$(mktemp -d /tmp/sctpmap-mixed-XXXXXX)
SERVER=
cleanup() {
  [ -n "$SERVER" ] && { kill -9 "$SERVER"; wait "$SERVER"; } 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

# Three consecutive free ports.
port=$(python3 - <<'PY'
import socket
for base in range(20000, 60000, 7):
    try:
        socks = []
        for p in range(base, base + 3):
            s = socket.socket(); s.bind(("127.0.0.1", p)); socks.append(s)
        print(base); break
    except OSError:
        pass
PY
)
env LD_PRELOAD="$LIB" stdbuf -oL "$SCTP_TEST" -H 127.0.0.1 -P "$port" -l -L 3 >"$WORK/server" 2>&1 &
SERVER=$!
for _ in $(seq 50); do grep -q 'listen(' "$WORK/server" 2>/dev/null && break; sleep 0.1; done
timeout 4 env LD_PRELOAD="$LIB" stdbuf -oL "$SCTP_TEST" -H 127.0.0.1 -P 0 -h 127.0.0.1 -p "$port" -s -S 3 -L 3 -c 1 -M 10 \
  >"$WORK/client" 2>&1
rc=$?
sleep 0.5
ups=$(grep -c 'SCTP_ASSOC_CHANGE(COMMUNICATION_UP)' "$WORK/server")
data=$(grep -c 'Data [0-9]* bytes' "$WORK/server")
problems=()
[ "$rc" -eq 124 ] || problems+=("client ended by itself with status $rc (it runs until stopped)")
[ "$ups" -eq 9 ] || problems+=("server saw $ups associations come up, expected 9 (3 client sockets x 3 ports)")
[ "$data" -ge 90 ] || problems+=("server received only $data messages")
# sctp_test reports failures as "*** ... ***"; a lost association is an error too.
if grep -qE '\*\*\*|COMMUNICATION_LOST|CANT_START' "$WORK/server" "$WORK/client"; then problems+=("an error was reported"); fi
if [ ${#problems[@]} -eq 0 ]; then
  echo "PASS: mixed mode, 9 associations up, $data messages received in 4 s"
  exit 0
fi
printf 'FAIL: %s\n' "${problems[@]}"
echo "--- server (last 20 lines)"; tail -20 "$WORK/server"
echo "--- client (last 20 lines)"; tail -20 "$WORK/client"
exit 1
