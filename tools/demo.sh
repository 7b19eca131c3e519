#!/bin/bash
# SPDX-License-Identifier: MIT
# The demo: Debian's unmodified lksctp-tools `sctp_test`, one-to-one mode (-T),
# as server and client over the TCP mapping on loopback. Prints what was
# exchanged per test case and exits non-zero if any message went missing.
# Usage: tools/demo.sh [BUILD_DIR]
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
run="$build/tools/sctpmap-run"
[ -x "$run" ] || run="$here/sctpmap-run"
export SCTPMAP_LIB=${SCTPMAP_LIB:-$(cd "$build" && pwd)/libsctpmap.so}
if ! command -v sctp_test >/dev/null; then
  echo "SKIP: sctp_test (Debian package lksctp-tools) is not installed"
  exit 77
fi
work=$(mktemp -d)
trap 'kill $srv 2>/dev/null; rm -rf "$work"' EXIT

free_port() {  # a port nobody listens on, from a range away from the ephemeral one
  local p
  for p in $(shuf -i 20000-29999 -n 50); do
    ss -Hltn "sport = :$p" 2>/dev/null | grep -q . || { echo "$p"; return; }
  done
  echo 24242
}

port=$(free_port)
"$run" sctp_test -H 127.0.0.1 -P "$port" -l -T -d 1 >"$work/server.log" 2>&1 &
srv=$!
for _ in $(seq 50); do ss -Hltn "sport = :$port" | grep -q . && break; sleep 0.1; done

printf '%-44s %6s %6s %12s %12s  %s\n' "sctp_test client case" sent recvd "bytes sent" "bytes recvd" result
fail=0
cases=(
  "-c 0 -x 10 -o 0|1-byte messages, unordered"
  "-c 1 -x 4 -o 1|multiples of 1452 bytes, ordered"
  "-c 3 -x 4 -o 2|1, 1453, 32768 bytes, alternating order"
  "-c 4 -x 2 -M 10 -t 1 -o 1|1..32768 bytes, 10 streams, random stream"
  "-c 5 -x 10 -o 3|32768-byte messages, random order"
  "-c 6 -x 5 -m 65515|random sizes up to 65515 bytes"
)
for entry in "${cases[@]}"; do
  args=${entry%%|*}
  desc=${entry#*|}
  before=$(grep -c 'recvmsg(sk=[0-9]*) Data' "$work/server.log")
  bbefore=$(grep -o 'recvmsg(sk=[0-9]*) Data [0-9]*' "$work/server.log" | awk '{s+=$3} END {print s+0}')
  # shellcheck disable=SC2086
  timeout 60 "$run" sctp_test -H 127.0.0.1 -P 0 -h 127.0.0.1 -p "$port" -s -T $args >"$work/client.log" 2>&1
  rc=$?
  sent=$(grep -c 'sendmsg(sk=' "$work/client.log")
  bsent=$(grep -o 'sendmsg(sk=[0-9]*, assoc=[0-9]*) *[0-9]*' "$work/client.log" | awk '{s+=$NF} END {print s+0}')
  # The server logs each message as it takes it; give it a moment to finish.
  for _ in $(seq 50); do
    got=$(( $(grep -c 'recvmsg(sk=[0-9]*) Data' "$work/server.log") - before ))
    [ "$got" -ge "$sent" ] && break
    sleep 0.1
  done
  bgot=$(( $(grep -o 'recvmsg(sk=[0-9]*) Data [0-9]*' "$work/server.log" | awk '{s+=$3} END {print s+0}') - bbefore ))
  result=ok
  if [ $rc -ne 0 ] || [ "$got" -ne "$sent" ] || [ "$bgot" -ne "$bsent" ] || [ "$sent" -eq 0 ]; then
    result="FAILED (client exit $rc)"
    fail=1
  fi
  printf '%-44s %6d %6d %12d %12d  %s\n' "$desc" "$sent" "$got" "$bsent" "$bgot" "$result"
done
echo
echo "server notifications seen:"
grep -o 'SCTP_ASSOC_CHANGE([A-Z_]*)' "$work/server.log" | sort | uniq -c
if [ $fail -ne 0 ]; then
  echo "--- last server lines ---"; tail -20 "$work/server.log"
  echo "--- last client lines ---"; tail -20 "$work/client.log"
fi
exit $fail
