#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# Conformance: the UNMODIFIED sctp_test from Debian's lksctp-tools, in
# one-to-one mode (-T), or with SCTP_TEST_MODE=one-to-many in its default
# one-to-many mode (SOCK_SEQPACKET; then the server's recvmsg never returns 0,
# and an association's end is its SHUTDOWN_COMPLETE), through
# LD_PRELOAD=$SCTPMAP_LIB on 127.0.0.1, or, with
# SCTPMAP_LIBDIR set, through LD_LIBRARY_PATH alone: the loader then gives
# sctp_test (linked against libsctp.so.1) our libsctp.so.1 from that
# directory, no preload (SANITIZER_PRELOAD may name a sanitizer runtime). One
# server (runs until killed: sctp_test's server loops over accept) and one
# client run per test case; each client must exit 0 after sending its 100
# messages (10 repeats x 10), and the server must have received exactly the
# same message sizes (as a multiset: unordered sends may overtake), seen the
# association come up, shut down (SHUTDOWN_COMPLETE) and end (recv 0).
#
# sctp_test facts this relies on (lksctp-tools src/apps/sctp_test.c, default
# debug level 2): the client prints "sendmsg(sk=S, assoc=A) N bytes." per
# message and exits 1 on any error; the server prints "Data N bytes." per
# message, "Notification: SCTP_ASSOC_CHANGE(<state>)" per association event,
# and "No association is present now!!" when recvmsg returns 0.
#
# Exit: 0 all cases passed; 1 a case failed; 77 (meson: skipped) when
# sctp_test is not installed.
set -u

SCTP_TEST=${SCTP_TEST:-/usr/bin/sctp_test}
if [ ! -x "$SCTP_TEST" ]; then
  echo "SKIP: $SCTP_TEST is not installed (Debian package lksctp-tools)"
  exit 77
fi
LIB=${SCTPMAP_LIB:-}
LIBDIR=${SCTPMAP_LIBDIR:-}
if [ -n "$LIBDIR" ]; then
  if [ ! -f "$LIBDIR/libsctp.so.1" ]; then
    echo "FAIL: SCTPMAP_LIBDIR must hold our libsctp.so.1 (run through meson test)"
    exit 1
  fi
  # Environment for every sctp_test run: how it gets sctpmap.
  LOADER_ENV=(LD_LIBRARY_PATH="$LIBDIR" ${SANITIZER_PRELOAD:+LD_PRELOAD="$SANITIZER_PRELOAD"})
  found=$(env "${LOADER_ENV[@]}" ldd "$SCTP_TEST" | awk '$1 == "libsctp.so.1" {print $3}')
  if [ "$found" != "$LIBDIR/libsctp.so.1" ]; then
    echo "FAIL: with LD_LIBRARY_PATH=$LIBDIR, $SCTP_TEST loads libsctp.so.1 from '$found'"
    exit 1
  fi
  LIB="$LIBDIR/libsctp.so.1 (LD_LIBRARY_PATH, no preload)"
elif [ -z "$LIB" ] || [ ! -f "${LIB##*:}" ]; then  # a sanitizer runtime may precede it
  echo "FAIL: SCTPMAP_LIB must name libsctpmap.so (run through meson test)"
  exit 1
else
  LOADER_ENV=(LD_PRELOAD="$LIB")
fi
LOADER_ENV+=(SCTPMAP_LOG="${SCTPMAP_LOG:-warn}")
MODE=${SCTP_TEST_MODE:-one-to-one}
STYLE=(-T)
END_MARK='No association is present now'
if [ "$MODE" = one-to-many ]; then
  STYLE=()
  END_MARK='SCTP_ASSOC_CHANGE(SHUTDOWN_COMPLETE)'
fi

WORK=$(mktemp -d /tmp/sctpmap-conformance-XXXXXX)
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -9 "$SERVER_PID" 2>/dev/null; wait "$SERVER_PID" 2>/dev/null; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

loaded() { env "${LOADER_ENV[@]}" "$@"; }

free_port() {
  # Ask the kernel for a free TCP port (SCTP port P is TCP port P).
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' \
    2>/dev/null || echo $((20000 + RANDOM % 30000))
}

# Starts the server on a free port; a few tries in case the port is taken
# between choosing it and binding it.
start_server() {
  local try
  for try in 1 2 3; do
    PORT=$(free_port)
    # exec: $! is then sctp_test itself, which kill -9 must reach (a
    # function run in the background is a subshell that would be killed
    # instead, leaving the server behind).
    (exec env "${LOADER_ENV[@]}" "$SCTP_TEST" -H 127.0.0.1 -P "$PORT" -l "${STYLE[@]}" >"$WORK/server.log" 2>"$WORK/server.err") &
    SERVER_PID=$!
    local waited=0
    while [ $waited -lt 50 ]; do
      if grep -q 'listen(' "$WORK/server.log" 2>/dev/null; then return 0; fi
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
      waited=$((waited + 1))
    done
    kill -9 "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
    SERVER_PID=
    echo "server did not start on port $PORT (try $try):"
    cat "$WORK/server.log" "$WORK/server.err"
  done
  return 1
}

count_lines() { grep -c -- "$1" "$2" 2>/dev/null || true; }

# Runs one client case: $1 is a label, the rest are sctp_test arguments.
run_case() {
  local label=$1
  shift
  local before_data before_eof client_rc new
  before_data=$(count_lines 'Data [0-9]* bytes' "$WORK/server.log")
  before_eof=$(count_lines "$END_MARK" "$WORK/server.log")
  local server_lines
  server_lines=$(wc -l <"$WORK/server.log")

  timeout 120 env "${LOADER_ENV[@]}" "$SCTP_TEST" -H 127.0.0.1 -P 0 -h 127.0.0.1 -p "$PORT" -s "${STYLE[@]}" -M 10 "$@" \
    >"$WORK/client.log" 2>&1
  client_rc=$?
  grep -o 'sendmsg(sk=[0-9]*, assoc=[0-9]*) *[0-9]* bytes' "$WORK/client.log" |
    awk '{print $(NF-1)}' | sort -n >"$WORK/sent"
  local sent
  sent=$(wc -l <"$WORK/sent")

  # The server reads asynchronously: wait for all messages and the end.
  local waited=0
  while [ $waited -lt 300 ]; do
    new=$(($(count_lines 'Data [0-9]* bytes' "$WORK/server.log") - before_data))
    if [ "$new" -ge "$sent" ] &&
      [ "$(count_lines "$END_MARK" "$WORK/server.log")" -gt "$before_eof" ]; then
      break
    fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
    waited=$((waited + 1))
  done
  tail -n +"$((server_lines + 1))" "$WORK/server.log" >"$WORK/server.case"
  grep -o 'Data [0-9]* bytes' "$WORK/server.case" | awk '{print $2}' | sort -n >"$WORK/received"
  local received bytes min max
  received=$(wc -l <"$WORK/received")
  bytes=$(awk '{s += $1} END {print s + 0}' "$WORK/sent")
  min=$(head -1 "$WORK/sent")
  max=$(tail -1 "$WORK/sent")

  local problems=()
  [ "$client_rc" -eq 0 ] || problems+=("client exit status $client_rc")
  [ "$sent" -eq 100 ] || problems+=("client sent $sent messages, expected 100")
  cmp -s "$WORK/sent" "$WORK/received" || problems+=("server received $received messages whose sizes differ from the $sent sent")
  grep -q 'SCTP_ASSOC_CHANGE(COMMUNICATION_UP)' "$WORK/server.case" || problems+=("server saw no COMMUNICATION_UP")
  grep -q 'SCTP_ASSOC_CHANGE(SHUTDOWN_COMPLETE)' "$WORK/server.case" || problems+=("server saw no SHUTDOWN_COMPLETE")
  if [ "$MODE" = one-to-one ]; then
    grep -q 'No association is present now' "$WORK/server.case" || problems+=("server recvmsg never returned 0")
  fi
  kill -0 "$SERVER_PID" 2>/dev/null || problems+=("server died")

  if [ ${#problems[@]} -eq 0 ]; then
    echo "PASS $label: sent $sent messages ($bytes bytes, sizes $min..$max), server received $received with the same sizes"
    return 0
  fi
  echo "FAIL $label:"
  printf '  - %s\n' "${problems[@]}"
  echo "  client output (last 15 lines):"
  tail -15 "$WORK/client.log" | sed 's/^/    /'
  echo "  server output for this case (last 15 lines):"
  tail -15 "$WORK/server.case" | sed 's/^/    /'
  echo "  server stderr:"
  sed 's/^/    /' "$WORK/server.err"
  return 1
}

if ! start_server; then
  echo "FAIL: sctp_test server did not start"
  exit 1
fi
echo "sctp_test server: 127.0.0.1 port $PORT, $MODE, sctpmap: $LIB"

passed=0
failed=0
while read -r label args; do
  # shellcheck disable=SC2086  # args is a word list on purpose
  if run_case "$label" $args; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
done <<'EOF'
1-byte,unordered            -c 0 -o 0
1452-multiples,ordered      -c 1 -o 1
1453-byte,alternating       -c 2 -o 2
1/1453/32768,unordered      -c 3 -o 0
1..32768-mix,ordered        -c 4 -o 1
32768-byte,unordered        -c 5 -o 0
random-1..65519,random      -c 6 -o 3 -t 1 -m 65519 -r 7
EOF

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
