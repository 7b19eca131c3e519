#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# RSerPool: Debian's UNMODIFIED RSPLIB (rspregistrar, rspserver, rspterminal,
# pingpongclient, hsdump) run over sctpmap through LD_PRELOAD=$SCTPMAP_LIB.
#
# Usage: rserpool.sh SCENARIO, one of
#   echo                  registrar + `rspserver -echo` + rspterminal: every
#                         line typed comes back after "from PE".
#   failover-kill         two PingPong PEs + pingpongclient; SIGKILL the PE
#                         serving the client; the client must get replies from
#                         the other PE. Prints "failover after SIGKILL: N ms".
#   failover-stop         the same with SIGSTOP. Prints "failover after
#                         SIGSTOP: N ms". Only heartbeats can tell a frozen
#                         PE; see the note at scenario_failover.
#   registrar-redundancy  two registrars peered over ENRP; a PE registered at
#                         one is resolved through the other; its home
#                         registrar is killed; the PE re-registers at the
#                         survivor, which registers a new PE and resolves it.
#   services              echo, discard, daytime and pingpong PEs at one
#                         registrar; hsdump lists every pool with its PE
#                         (chargen: see scenario_services).
#
# Why a network namespace with 10.77.0.1 on a veth: RSPLIB pool elements refuse
# to register addresses below site-local scope (loopback is filtered out,
# rserpoolsocket.c doRegistration), and tests may send nothing to the host's
# real addresses. Each run creates its own namespace (name carries $$), runs
# every process inside it, and deletes it on exit, failure included.
#
# Exit: 0 pass; 1 fail (logs printed); 77 (meson: skipped) when not root,
# without `ip netns`, or without the rsplib binaries.
set -u

SCENARIO=${1:-}
LIB=${SCTPMAP_LIB:-}
# Bounds on every wait, in seconds.
REGISTRAR_READY_S=15   # the registrar waits 5 s for an ENRP mentor first
CLIENT_REPLY_S=20
FAILOVER_KILL_S=20
# RSPLIB sets heartbeats of 15 s, RTO 2/1/5 s and Association.Max.Retrans 8
# on its sockets (netutilities.c tuneSCTP); an association fails at
# Association.Max.Retrans, as Linux, so sctpmap's budget is then up to about
# 17 + 9 x 15 + 2 + 4 + 7 x 5 = 193 s (PROTOCOL.md 12).
FAILOVER_STOP_S=300
TAKEOVER_S=30

skip() { echo "SKIP: $*"; exit 77; }
fail_early() { echo "FAIL: $*"; exit 1; }

case "$SCENARIO" in
  echo|failover-kill|failover-stop|registrar-redundancy|services) ;;
  *) fail_early "usage: $0 echo|failover-kill|failover-stop|registrar-redundancy|services" ;;
esac
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
command -v ip >/dev/null || skip "ip (iproute2) is not installed"
for prog in rspregistrar rspserver rspterminal pingpongclient hsdump; do
  command -v "$prog" >/dev/null ||
    skip "$prog is not installed (Debian packages rsplib-registrar, rsplib-tools, rsplib-services)"
done
command -v stdbuf >/dev/null || skip "stdbuf (coreutils) is not installed"
if [ -z "$LIB" ] || [ ! -f "${LIB##*:}" ]; then  # a sanitizer runtime may precede it
  fail_early "SCTPMAP_LIB must name libsctpmap.so (run through meson test)"
fi

NETNS=sctpmap-rsp-$$
VETH=smr$$
ADDR=10.77.0.1
WORK=$(mktemp -d /tmp/sctpmap-rserpool-XXXXXX)
PIDS=()
NETNS_MADE=0

cleanup() {
  local pid
  # Thaw a stopped PE first, or it cannot die.
  for pid in "${PIDS[@]}"; do kill -CONT "$pid" 2>/dev/null; kill -KILL "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  if [ "$NETNS_MADE" = 1 ]; then
    # Anything still in the namespace was started by this script.
    for pid in $(ip netns pids "$NETNS" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$NETNS" 2>/dev/null  # takes the veth pair with it
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! ip netns add "$NETNS" 2>"$WORK/netns.err"; then
  skip "no network namespace support: $(cat "$WORK/netns.err")"
fi
NETNS_MADE=1
in_ns() { ip netns exec "$NETNS" "$@"; }
if ! { in_ns ip link set lo up &&
        ip link add "${VETH}a" type veth peer name "${VETH}b" &&
        ip link set "${VETH}a" netns "$NETNS" &&
        ip link set "${VETH}b" netns "$NETNS" &&
        in_ns ip addr add "$ADDR/24" dev "${VETH}b" &&
        in_ns ip link set "${VETH}a" up &&
        in_ns ip link set "${VETH}b" up; }; then
  ip link del "${VETH}a" 2>/dev/null  # in case it never moved into the namespace
  fail_early "could not set up $ADDR on a veth pair in namespace $NETNS"
fi

fail() {
  local f
  echo "FAIL ($SCENARIO): $*"
  for f in "$WORK"/*.log; do
    [ -f "$f" ] || continue
    echo "===== $(basename "$f") (last 60 lines)"
    strip "$f" | tail -n 60
  done
  exit 1
}

# Log text without ANSI colours (pingpongclient colours its lines regardless of -logcolor).
# A log not created yet (its program just forked) reads as empty.
strip() { [ -f "$1" ] || return 0; sed 's/\x1b\[[0-9;]*m//g' "$1" | tr -d '\r'; }

# registered NAME: waits until the PE in NAME.log has a home registrar (its
# first ASAP Endpoint Keep-Alive, 1 s after registering). A pool user started
# earlier finds no PE, and rspterminal drops what it cannot send.
registered() {
  wait_for "$1" 'Home registrar is' $CLIENT_REPLY_S || fail "PE $1 did not register"
}

# start NAME PROGRAM ARGS...: runs PROGRAM in the namespace over sctpmap, stdin
# from $STDIN_FROM (default /dev/null), stdout line-buffered and stderr into
# $WORK/NAME.log. ip and env exec, so the pid in PIDS and in the variable
# PID_NAME is the program's own. The redirections are the child's: a FIFO
# opened here would block this shell until a writer comes.
start() {
  local name=$1; shift
  ip netns exec "$NETNS" env LD_PRELOAD="$LIB" SCTPMAP_LOG="${SCTPMAP_LOG:-warn}" stdbuf -oL "$@" \
    <"${STDIN_FROM:-/dev/null}" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  printf -v "PID_$name" %s $!
}

# wait_for NAME PATTERN SECONDS: until NAME.log matches the extended regex.
wait_for() {
  local deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    strip "$WORK/$1.log" | grep -aqE -- "$2" && return 0
    sleep 0.1
  done
  return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# The time (ms since the epoch) of an RSPLIB log line "01-Dec-2026 14:49:37.6172: ...".
line_ms() {
  local stamp
  stamp=$(sed -E 's/^([0-9]+-[A-Za-z]+-[0-9]+ [0-9:.]+):.*/\1/' <<<"$1")
  echo $(($(date -d "$stamp" +%s%N) / 1000000))
}

# registrar NAME ASAP_PORT ENRP_PORT [MORE OPTIONS]: starts one and waits
# until it is ready. Keep-alives every second make a frozen PE leave the
# handlespace quickly (rspregistrar's defaults are 5 s + 5 s).
registrar() {
  local name=$1 asap=$2 enrp=$3; shift 3
  start "$name" rspregistrar -asap=$ADDR:"$asap" -enrp=$ADDR:"$enrp" \
    -asapannounce=off -enrpannounce=off -logcolor=off -loglevel=3 \
    -endpointkeepalivetransmissioninterval=1000 -endpointkeepalivetimeoutinterval=1000 \
    -maxbadpereports=1 "$@"
}
registrar_ready() {
  wait_for "$1" 'The registrar is ready' $REGISTRAR_READY_S || fail "registrar $1 not ready after ${REGISTRAR_READY_S} s"
}

# pe NAME SERVICE POOL ID [REGISTRAR_PORT...]: an rspserver pool element with
# identifier ID, bound to the wildcard address (it registers the host's
# addresses, which sctp_getladdrs lists as Linux does).
pe() {
  local name=$1 service=$2 pool=$3 id=$4; shift 4
  local regs=() port
  for port in "${@:-3863}"; do regs+=("-registrar=$ADDR:$port"); done
  start "$name" rspserver -"$service" -poolhandle="$pool" -identifier="$id" \
    "${regs[@]}" -rereginterval=1000 -asapannounce=off -logcolor=off -loglevel=3
}

pingpong_client() {
  local name=$1 port=$2
  start "$name" pingpongclient -poolhandle=PingPongPool -registrar=$ADDR:"$port" \
    -asapannounce=off -logcolor=off -interval=100
}

# The PE id in the last "Ack #N from PE $ID" line of NAME.log.
last_ack_pe() {
  strip "$WORK/$1.log" | grep -aoE 'Ack #[0-9]+ from PE \$[0-9a-f]+' | tail -n 1 | sed 's/.*\$//'
}

scenario_echo() {
  registrar reg 3863 9901
  registrar_ready reg
  pe pe echo EchoPool 0x0000ec01
  registered pe
  mkfifo "$WORK/terminal.in"
  STDIN_FROM="$WORK/terminal.in" start terminal rspterminal -poolhandle=EchoPool \
    -registrar=$ADDR:3863 -asapannounce=off -logcolor=off
  exec 3<>"$WORK/terminal.in"  # read-write: never blocks, even if rspterminal is gone
  local lines=("hello one" "second line: 12345" "third, the last")
  local line
  for line in "${lines[@]}"; do
    printf '%s\n' "$line" >&3
    sleep 0.2
  done
  for line in "${lines[@]}"; do
    wait_for terminal "from PE .*${line}" $CLIENT_REPLY_S || { exec 3>&-; fail "no echo of '$line' in rspterminal's output"; }
  done
  exec 3>&-
  echo "PASS: ${#lines[@]} lines echoed by PE \$0000ec01:"
  strip "$WORK/terminal.log" | grep -a 'from PE'
}

# scenario_failover SIGNAL BOUND_S: two PingPong PEs, kill or freeze the one
# the client uses, time the first reply from the other.
#
# SIGSTOP: the frozen PE's sctpmap engine thread stops too, so neither ACKs
# nor heartbeat answers come back, and the client's association fails by
# heartbeat (pingpongclient has no reply timeout of its own). The registrar
# drops the PE after its keep-alive timeout (1 s + 1 s here), which keeps new
# clients away from it but does not tell this client.
scenario_failover() {
  local sig=$1 bound=$2
  registrar reg 3863 9901
  registrar_ready reg
  pe pe1 pingpong PingPongPool 0x11111111
  pe pe2 pingpong PingPongPool 0x22222222
  registered pe1
  registered pe2
  pingpong_client client 3863
  wait_for client 'Ack #5 from PE' $CLIENT_REPLY_S || fail "pingpongclient got no 5 replies"
  local victim survivor victim_pid
  victim=$(last_ack_pe client)
  case "$victim" in
    11111111) victim_pid=$PID_pe1; survivor=22222222 ;;
    22222222) victim_pid=$PID_pe2; survivor=11111111 ;;
    *) fail "replies come from unknown PE '\$$victim'" ;;
  esac
  local t0
  t0=$(now_ms)
  kill -"$sig" "$victim_pid"
  echo "sent SIG$sig to PE \$$victim (pid $victim_pid)"
  wait_for client "Ack #[0-9]+ from PE \\\$$survivor" "$bound" ||
    fail "no reply from PE \$$survivor within $bound s after SIG$sig to PE \$$victim"
  local first t1
  first=$(strip "$WORK/client.log" | grep -aE "Ack #[0-9]+ from PE \\\$$survivor" | head -n 1)
  t1=$(line_ms "$first")
  # Replies must keep coming from the survivor.
  local count
  count=$(strip "$WORK/client.log" | grep -acE "from PE \\\$$survivor")
  local deadline=$((SECONDS + 10))
  while [ "$(strip "$WORK/client.log" | grep -acE "from PE \\\$$survivor")" -lt $((count + 5)) ]; do
    [ $SECONDS -lt $deadline ] || fail "PE \$$survivor stopped replying after the failover"
    sleep 0.1
  done
  echo "$first"
  echo "failover after SIG$sig: $((t1 - t0)) ms"
}

# The registrar's handlespace as hsdump (an ENRP peer) sees it.
hsdump_of() {
  local name=$1 port=$2
  in_ns env LD_PRELOAD="$LIB" SCTPMAP_LOG="${SCTPMAP_LOG:-warn}" timeout 20 \
    hsdump $ADDR:"$port" -logcolor=off >"$WORK/$name.log" 2>&1 ||
    fail "hsdump $ADDR:$port failed (exit $?)"
}

# RSPLIB 3.4.4's ENRP takeover does not complete with only two registrars
# (the survivor logs "Takeover of peer $... has expired, 0 outstanding
# acknowledgements" and drops the dead peer's PEs), so the PEs list both
# registrars and re-register at the survivor themselves (every second here).
scenario_registrar_redundancy() {
  local tune=(-peerheartbeatcycle=1000 -peermaxtimelastheard=3000 -peermaxtimenoresponse=1000)
  registrar reg_a1 3863 9901 -identifier=0x000000a1 -peer=$ADDR:9902 "${tune[@]}"
  registrar reg_a2 3873 9902 -identifier=0x000000a2 -peer=$ADDR:9901 "${tune[@]}"
  registrar_ready reg_a1
  registrar_ready reg_a2
  pe pe1 pingpong PingPongPool 0x11111111 3863 3873
  wait_for pe1 'Home registrar is \$000000a[12]' $CLIENT_REPLY_S || fail "PE \$11111111 did not register"
  local home other other_port
  home=$(strip "$WORK/pe1.log" | grep -aoE 'Home registrar is \$000000a[12]' | head -n 1 | sed 's/.*\$//')
  case "$home" in
    000000a1) other=000000a2; other_port=3873 ;;
    *) other=000000a1; other_port=3863 ;;
  esac
  pingpong_client client1 $other_port
  wait_for client1 'Ack #3 from PE \$11111111' $CLIENT_REPLY_S ||
    fail "PE \$11111111 (registered at \$$home) not resolved through \$$other"
  echo "PE \$11111111 registered at registrar \$$home, resolved through \$$other"
  local home_pid_var=PID_reg_${home#000000}
  kill -KILL "${!home_pid_var}"
  echo "killed registrar \$$home"
  wait_for pe1 "Home registrar is \\\$$other" $TAKEOVER_S ||
    fail "PE \$11111111 did not re-register at \$$other within $TAKEOVER_S s"
  echo "PE \$11111111 re-registered at the survivor \$$other"
  pe pe2 pingpong PingPongPool 0x22222222 3863 3873
  wait_for pe2 "Home registrar is \\\$$other" $CLIENT_REPLY_S || fail "PE \$22222222 did not register at the survivor"
  kill -KILL "$PID_pe1"
  pingpong_client client2 $other_port
  wait_for client2 'Ack #3 from PE \$22222222' $CLIENT_REPLY_S ||
    fail "PE \$22222222 (registered after the kill) not resolved through the survivor"
  echo "PASS: registration and resolution continue through registrar \$$other"
}

scenario_services() {
  registrar reg 3863 9901
  registrar_ready reg
  # No chargen: Debian's rspserver 3.4.4 rejects its own flag ("ERROR: Unknown
  # Character Generator parameter: -chargen!", with or without sctpmap).
  local svc pool pools=() id=1
  for svc in echo:EchoPool discard:DiscardPool daytime:DaytimePool pingpong:PingPongPool; do
    pool=${svc#*:}
    pools+=("$pool")
    pe "pe_${svc%%:*}" "${svc%%:*}" "$pool" "0x5e0000$(printf %02x $id)"
    id=$((id + 1))
  done
  local deadline=$((SECONDS + CLIENT_REPLY_S)) missing
  while :; do
    hsdump_of hsdump 9901
    missing=()
    for pool in "${pools[@]}"; do
      strip "$WORK/hsdump.log" | grep -aqE "Pool \"$pool\".*\(1 nodes\)" || missing+=("$pool")
    done
    [ ${#missing[@]} = 0 ] && break
    [ $SECONDS -lt $deadline ] || fail "hsdump does not list ${missing[*]} with one PE each"
    sleep 0.5
  done
  echo "PASS: hsdump lists every pool with its PE:"
  strip "$WORK/hsdump.log" | grep -aE '^ \+-- Pool|idx:#' | head -n 10
}

case "$SCENARIO" in
  echo) scenario_echo ;;
  failover-kill) scenario_failover KILL $FAILOVER_KILL_S ;;
  failover-stop) scenario_failover STOP $FAILOVER_STOP_S ;;
  registrar-redundancy) scenario_registrar_redundancy ;;
  services) scenario_services ;;
esac
exit 0
