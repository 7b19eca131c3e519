#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Conformance: the UNMODIFIED sctp_status from Debian's lksctp-tools, through
# LD_PRELOAD=$SCTPMAP_LIB on 127.0.0.1. It is a one-to-one program: a server
# receives 2000 rounds of 10 messages, a client sends them (1500 bytes each;
# 30 MB, so that each side's status child, forked once the association is
# up, looks while the data still flows),
# and each side fork()s a child that reads SCTP_STATUS on the inherited
# socket and writes a status line to a file whenever the congestion window
# changes, and exits once the path is no longer active. So beyond the data,
# this proves SCTP_STATUS in a fork()ed child: an established association
# with an active path and its figures, then, once the association has ended,
# an inactive path (and the child exits; on Linux the child's reference
# would keep the association alive instead).
# Exit: 0 pass; 1 fail; 77 (meson: skipped) when sctp_status is not installed.
set -u
STATUS=${SCTP_STATUS:-/usr/bin/sctp_status}
if [ ! -x "$STATUS" ]; then
  echo "SKIP: $STATUS is not installed (Debian package lksctp-tools)"
  exit 77
fi
LIB=${SCTPMAP_LIB:?run through meson test}
WORK=$(mktemp -d /tmp/sctpmap-status-XXXXXX)
SERVER=
cleanup() {
  # Each side runs in its own session, so its status child goes with it.
  [ -n "$SERVER" ] && kill -9 -- "-$SERVER" 2>/dev/null
  pkill -9 -s "$CLIENT_SID" 2>/dev/null
  rm -rf "$WORK"
}
CLIENT_SID=999999999
ROUNDS=2000
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
setsid env LD_PRELOAD="$LIB" stdbuf -oL "$STATUS" -H 127.0.0.1 -P "$port" -l -x "$ROUNDS" -f "$WORK/server.status" \
  >"$WORK/server" 2>&1 &
SERVER=$!
for _ in $(seq 50); do ss -Htln "sport = :$port" | grep -q . && break; sleep 0.1; done

setsid env LD_PRELOAD="$LIB" "$STATUS" -H 127.0.0.1 -P 0 -h 127.0.0.1 -p "$port" -s -c 1500 -x "$ROUNDS" -X 10 \
  -f "$WORK/client.status" >"$WORK/client" 2>&1 &
client=$!
CLIENT_SID=$client
wait_for() {  # file pattern: up to 20 s
  for _ in $(seq 200); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.1; done
  return 1
}
problems=()
wait "$client"
rc=$?
[ "$rc" -eq 0 ] || problems+=("the client exited with $rc")
grep -q "Client: Sending packets.($ROUNDS/$ROUNDS)" "$WORK/client" || problems+=("the client did not send all $ROUNDS rounds")
wait_for "$WORK/server" "Server: Receiving packets.($ROUNDS/$ROUNDS)" || problems+=("the server did not receive all $ROUNDS rounds")
grep -q 'recvmsg() returned 0' "$WORK/server" && problems+=("the server saw end of file before all messages")
for side in client server; do
  f="$WORK/$side.status"
  # NO. ASSOC-ID STATE RWND UNACKDATA PENDDATA INSTRMS OUTSTRMS FRAG-POINT SPINFO-STATE SPINFO-CWDN ...
  # (SHUTDOWN_RECEIVED when the client was done before the server's child looked.)
  awk '($3 == "ESTABLISHED" || $3 == "SHUTDOWN_RECEIVED") && $7 == 10 && $8 == 10 && $10 == "ACTIVE" && $11 > 0 { ok = 1 } END { exit !ok }' "$f" \
    2>/dev/null || problems+=("$side: no status line with an established association, 10/10 streams, an active path and its window")
  wait_for "$f" 'INACTIVE' || problems+=("$side: the status child never saw the association end")
done
if [ ${#problems[@]} -eq 0 ]; then
  echo "PASS: sctp_status sent and received $((ROUNDS * 10)) messages; both status children reported the association established, then ended"
  exit 0
fi
printf 'FAIL: %s\n' "${problems[@]}"
for f in client client.status server server.status; do
  echo "--- $f"
  grep -v 'packets.(' "$WORK/$f" 2>/dev/null
done
exit 1
