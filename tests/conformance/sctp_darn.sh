#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Conformance: the UNMODIFIED sctp_darn from Debian's lksctp-tools, one-to-many
# (its only mode), through LD_PRELOAD=$SCTPMAP_LIB on 127.0.0.1: a listener
# prints what it receives, a sender sends each line of its standard input as
# one message, then closes. The listener must print every line with its
# SCTP_SNDRCV (the association id), the association's COMM_UP and its
# SHUTDOWN_COMP. (sctp_darn exits with the byte count of its last send, not 0,
# at the end of its input; that is sctp_darn's own habit.)
# Exit: 0 pass; 1 fail; 77 (meson: skipped) when sctp_darn is not installed.
set -u
DARN=${SCTP_DARN:-/usr/bin/sctp_darn}
if [ ! -x "$DARN" ]; then
  echo "SKIP: $DARN is not installed (Debian package lksctp-tools)"
  exit 77
fi
LIB=${SCTPMAP_LIB:?run through meson test}
WORK=$(mktemp -d /tmp/sctpmap-darn-XXXXXX)
LISTENER=
cleanup() {
  [ -n "$LISTENER" ] && kill -9 "$LISTENER" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
env LD_PRELOAD="$LIB" stdbuf -oL "$DARN" -H 127.0.0.1 -P "$port" -l >"$WORK/listener" 2>&1 &
LISTENER=$!
for _ in $(seq 50); do grep -q . "$WORK/listener" 2>/dev/null && break; sleep 0.1; done

lines=("first line" "second, with punctuation!" "$(printf 'x%.0s' $(seq 1 1000))")
printf '%s\n' "${lines[@]}" | timeout 20 env LD_PRELOAD="$LIB" "$DARN" -H 127.0.0.1 -P 0 -h 127.0.0.1 -p "$port" -s \
  >"$WORK/sender" 2>&1
for _ in $(seq 100); do grep -q 'SHUTDOWN_COMP' "$WORK/listener" && break; sleep 0.1; done

problems=()
for l in "${lines[@]}"; do
  grep -qF -- "$l" "$WORK/listener" || problems+=("the listener did not print: ${l:0:40}")
done
[ "$(grep -c '^DATA(' "$WORK/listener")" -eq "${#lines[@]}" ] || problems+=("expected ${#lines[@]} DATA lines")
grep -q 'COMM_UP' "$WORK/listener" || problems+=("no COMM_UP at the listener")
grep -q 'SHUTDOWN_COMP' "$WORK/listener" || problems+=("no SHUTDOWN_COMP at the listener")
grep -q 'sinfo_assoc_id' "$WORK/listener" || problems+=("no SCTP_SNDRCV with the association id")
if [ ${#problems[@]} -eq 0 ]; then
  echo "PASS: sctp_darn sent ${#lines[@]} lines over one association; the listener printed each, then SHUTDOWN_COMP"
  exit 0
fi
printf 'FAIL: %s\n' "${problems[@]}"
echo "--- listener"; cat "$WORK/listener"
echo "--- sender"; cat "$WORK/sender"
exit 1
