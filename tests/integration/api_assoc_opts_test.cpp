// SPDX-License-Identifier: MIT
// Per-association option values on a one-to-many socket, as Linux keeps
// them (net/sctp/socket.c): an option with an association's id changes that
// association only; SCTP_FUTURE_ASSOC the socket's value, which associations
// started later copy; SCTP_CURRENT_ASSOC every existing association;
// SCTP_ALL_ASSOC both. EINVAL for an unknown id, and for CURRENT/ALL where
// the option does not take them. Heartbeat settings act per association.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "api_util.hpp"

namespace sctpmap::test {
namespace {

// Connects a new one-to-one client to `port` and returns it once the
// one-to-many socket `server` lists one more association (ids grow, so the
// new one is the last).
int add_client(int server, uint16_t port, sctp_assoc_t* id) {
  const size_t before = assoc_ids(server).size();
  const int c = sctp_socket();
  subscribe(c, Events{});
  sockaddr_in to = loopback(port);
  EXPECT_EQ(connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
  for (int i = 0; i < 300 && assoc_ids(server).size() == before; ++i) usleep(10000);
  const auto ids = assoc_ids(server);
  EXPECT_EQ(ids.size(), before + 1);
  *id = ids.empty() ? 0 : ids.back();
  return c;
}

int set_context(int fd, sctp_assoc_t id, uint32_t v) {
  sctp_assoc_value av{id, v};
  return setsockopt(fd, SOL_SCTP, SCTP_CONTEXT, &av, sizeof av);
}

long get_context(int fd, sctp_assoc_t id) {
  sctp_assoc_value av{id, 0};
  socklen_t len = sizeof av;
  if (getsockopt(fd, SOL_SCTP, SCTP_CONTEXT, &av, &len) != 0) return -errno;
  return av.assoc_value;
}

int set_hbinterval(int fd, sctp_assoc_t id, uint32_t ms, uint16_t pathmaxrxt = 0) {
  sctp_paddrparams p{};
  p.spp_assoc_id = id;
  p.spp_hbinterval = ms;
  p.spp_pathmaxrxt = pathmaxrxt;
  p.spp_flags = SPP_HB_ENABLE;
  return setsockopt(fd, SOL_SCTP, SCTP_PEER_ADDR_PARAMS, &p, sizeof p);
}

long get_hbinterval(int fd, sctp_assoc_t id) {
  sctp_paddrparams p{};
  p.spp_assoc_id = id;
  socklen_t len = sizeof p;
  if (getsockopt(fd, SOL_SCTP, SCTP_PEER_ADDR_PARAMS, &p, &len) != 0) return -errno;
  return p.spp_hbinterval;
}

sctp_sndrcvinfo get_default_send(int fd, sctp_assoc_t id) {
  sctp_sndrcvinfo d{};
  d.sinfo_assoc_id = id;
  socklen_t len = sizeof d;
  EXPECT_EQ(getsockopt(fd, SOL_SCTP, SCTP_DEFAULT_SEND_PARAM, &d, &len), 0) << std::strerror(errno);
  return d;
}

// The errno of a setsockopt, 0 on success.
int set_err(int fd, int name, const void* val, socklen_t len) {
  errno = 0;
  return setsockopt(fd, SOL_SCTP, name, val, len) == 0 ? 0 : errno;
}

// A one-to-many server with two clients; a0 and a1 their associations.
struct Two {
  int server = -1;
  uint16_t port = 0;
  std::vector<int> clients;
  sctp_assoc_t a0 = 0, a1 = 0;
  ~Two() {
    for (int c : clients) close(c);
    if (server >= 0) close(server);
  }
  sctp_assoc_t add() {
    sctp_assoc_t id = 0;
    clients.push_back(add_client(server, port, &id));
    return id;
  }
};

void make_two(Two& t) {
  t.server = many_socket();
  subscribe(t.server, Events{});
  t.port = listen_any(t.server);
  t.a0 = t.add();
  t.a1 = t.add();
  ASSERT_NE(t.a0, 0);
  ASSERT_NE(t.a1, 0);
  ASSERT_NE(t.a0, t.a1);
}

}  // namespace

// An association's id changes that association alone, and reaches the
// data path: received messages carry its SCTP_CONTEXT, and sends without
// ancillary data use its SCTP_DEFAULT_SEND_PARAM.
API_TEST(OneToManyOptionsPerAssociation, 20) {
  signal(SIGPIPE, SIG_IGN);  // a failed send says EPIPE rather than ending the test
  Two t;
  ASSERT_NO_FATAL_FAILURE(make_two(t));
  ASSERT_EQ(set_hbinterval(t.server, t.a0, 5000), 0) << std::strerror(errno);
  EXPECT_EQ(get_hbinterval(t.server, t.a0), 5000);
  EXPECT_EQ(get_hbinterval(t.server, t.a1), 30000) << "the other association keeps Linux's default";
  EXPECT_EQ(get_hbinterval(t.server, SCTP_FUTURE_ASSOC), 30000) << "and so does the socket";

  ASSERT_EQ(set_context(t.server, t.a0, 111), 0) << std::strerror(errno);
  EXPECT_EQ(get_context(t.server, t.a0), 111);
  EXPECT_EQ(get_context(t.server, t.a1), 0);
  ASSERT_EQ(send_message(t.clients[0], pattern(10), 0, 1), 10);
  Received r = receive(t.server);
  ASSERT_EQ(r.n, 10);
  EXPECT_EQ(r.sinfo.sinfo_assoc_id, t.a0);
  EXPECT_EQ(r.sinfo.sinfo_context, 111u);
  ASSERT_EQ(send_message(t.clients[1], pattern(11), 0, 2), 11);
  r = receive(t.server);
  ASSERT_EQ(r.n, 11);
  EXPECT_EQ(r.sinfo.sinfo_assoc_id, t.a1);
  EXPECT_EQ(r.sinfo.sinfo_context, 0u);

  sctp_sndrcvinfo d{};
  d.sinfo_assoc_id = t.a0;
  d.sinfo_stream = 1;
  d.sinfo_ppid = 77;
  ASSERT_EQ(setsockopt(t.server, SOL_SCTP, SCTP_DEFAULT_SEND_PARAM, &d, sizeof d), 0) << std::strerror(errno);
  EXPECT_EQ(get_default_send(t.server, t.a0).sinfo_ppid, 77u);
  EXPECT_EQ(get_default_send(t.server, t.a1).sinfo_ppid, 0u);
  sctp_sndinfo si{};
  si.snd_assoc_id = t.a1;
  socklen_t len = sizeof si;
  ASSERT_EQ(getsockopt(t.server, SOL_SCTP, SCTP_DEFAULT_SNDINFO, &si, &len), 0);
  EXPECT_EQ(si.snd_ppid, 0u);
  EXPECT_EQ(si.snd_assoc_id, t.a1);
  for (size_t i = 0; i < 2; ++i) {  // sendto with no cmsg: each association's defaults
    sockaddr_in to{};
    socklen_t tl = sizeof to;
    ASSERT_EQ(getsockname(t.clients[i], reinterpret_cast<sockaddr*>(&to), &tl), 0);
    const auto msg = pattern(12);
    ASSERT_EQ(sendto(t.server, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&to), tl), 12)
        << std::strerror(errno);
    r = receive(t.clients[i]);
    ASSERT_EQ(r.n, 12);
    EXPECT_EQ(r.sinfo.sinfo_ppid, i == 0 ? 77u : 0u) << "client " << i;
    EXPECT_EQ(r.sinfo.sinfo_stream, i == 0 ? 1 : 0) << "client " << i;
  }

  // SCTP_EVENT for one association: only it reports SHUTDOWN_EVENT.
  sctp_event ev{};
  ev.se_assoc_id = t.a1;
  ev.se_type = SCTP_SHUTDOWN_EVENT;
  ev.se_on = 1;
  ASSERT_EQ(setsockopt(t.server, SOL_SCTP, SCTP_EVENT, &ev, sizeof ev), 0) << std::strerror(errno);
  len = sizeof ev;
  ev.se_assoc_id = t.a0;
  ev.se_on = 9;
  ASSERT_EQ(getsockopt(t.server, SOL_SCTP, SCTP_EVENT, &ev, &len), 0);
  EXPECT_EQ(ev.se_on, 0);
  close(t.clients[0]);
  close(t.clients[1]);
  t.clients.clear();
  r = receive(t.server);
  ASSERT_GT(r.n, 0);
  ASSERT_TRUE(r.notification());
  const auto* n = reinterpret_cast<const sctp_notification*>(r.data.data());
  EXPECT_EQ(n->sn_header.sn_type, SCTP_SHUTDOWN_EVENT);
  EXPECT_EQ(n->sn_shutdown_event.sse_assoc_id, t.a1);
  EXPECT_FALSE(readable_within(t.server, 300)) << "no SHUTDOWN_EVENT for the association not subscribed";
}

// SCTP_FUTURE_ASSOC: later associations only; SCTP_CURRENT_ASSOC: existing
// ones only; SCTP_ALL_ASSOC: both.
API_TEST(OneToManyFutureCurrentAllAssoc, 20) {
  Two t;
  ASSERT_NO_FATAL_FAILURE(make_two(t));
  ASSERT_EQ(set_context(t.server, t.a0, 111), 0);
  ASSERT_EQ(set_context(t.server, SCTP_FUTURE_ASSOC, 222), 0) << std::strerror(errno);
  EXPECT_EQ(get_context(t.server, SCTP_FUTURE_ASSOC), 222);
  EXPECT_EQ(get_context(t.server, t.a0), 111) << "FUTURE leaves existing associations alone";
  EXPECT_EQ(get_context(t.server, t.a1), 0);
  const sctp_assoc_t a2 = t.add();
  EXPECT_EQ(get_context(t.server, a2), 222) << "a new association starts with the socket's value";

  ASSERT_EQ(set_context(t.server, SCTP_CURRENT_ASSOC, 333), 0) << std::strerror(errno);
  for (sctp_assoc_t id : {t.a0, t.a1, a2}) EXPECT_EQ(get_context(t.server, id), 333) << id;
  EXPECT_EQ(get_context(t.server, SCTP_FUTURE_ASSOC), 222) << "CURRENT leaves the socket's value alone";
  const sctp_assoc_t a3 = t.add();
  EXPECT_EQ(get_context(t.server, a3), 222);

  ASSERT_EQ(set_context(t.server, SCTP_ALL_ASSOC, 444), 0) << std::strerror(errno);
  for (sctp_assoc_t id : {t.a0, t.a1, a2, a3}) EXPECT_EQ(get_context(t.server, id), 444) << id;
  EXPECT_EQ(get_context(t.server, SCTP_FUTURE_ASSOC), 444);
  const sctp_assoc_t a4 = t.add();
  EXPECT_EQ(get_context(t.server, a4), 444);
  ASSERT_EQ(send_message(t.clients.back(), pattern(5), 0, 1), 5);
  Received r = receive(t.server);
  ASSERT_EQ(r.n, 5);
  EXPECT_EQ(r.sinfo.sinfo_assoc_id, a4);
  EXPECT_EQ(r.sinfo.sinfo_context, 444u);

  // Heartbeat interval: FUTURE only (Linux refuses CURRENT and ALL for it).
  ASSERT_EQ(set_hbinterval(t.server, SCTP_FUTURE_ASSOC, 7000), 0) << std::strerror(errno);
  EXPECT_EQ(get_hbinterval(t.server, t.a0), 30000);
  const sctp_assoc_t a5 = t.add();
  EXPECT_EQ(get_hbinterval(t.server, a5), 7000);

  // SCTP_DEFAULT_SNDINFO with SCTP_CURRENT_ASSOC: every existing association.
  sctp_sndinfo si{};
  si.snd_assoc_id = SCTP_CURRENT_ASSOC;
  si.snd_ppid = 55;
  ASSERT_EQ(setsockopt(t.server, SOL_SCTP, SCTP_DEFAULT_SNDINFO, &si, sizeof si), 0) << std::strerror(errno);
  EXPECT_EQ(get_default_send(t.server, t.a1).sinfo_ppid, 55u);
  EXPECT_EQ(get_default_send(t.server, a5).sinfo_ppid, 55u);
  EXPECT_EQ(get_default_send(t.server, SCTP_FUTURE_ASSOC).sinfo_ppid, 0u);
}

// Linux's errno values (sctp_id2assoc and each option's own rule).
API_TEST(ErrnoAssocOptions, 20) {
  Two t;
  ASSERT_NO_FATAL_FAILURE(make_two(t));
  const sctp_assoc_t unknown = 424242;
  sctp_paddrparams p{};
  sctp_rtoinfo rto{};
  sctp_assocparams ap{};
  sctp_assoc_value av{};
  for (sctp_assoc_t id : {unknown, sctp_assoc_t(SCTP_CURRENT_ASSOC), sctp_assoc_t(SCTP_ALL_ASSOC)}) {
    p.spp_assoc_id = rto.srto_assoc_id = ap.sasoc_assoc_id = av.assoc_id = id;
    EXPECT_EQ(set_err(t.server, SCTP_PEER_ADDR_PARAMS, &p, sizeof p), EINVAL) << id;
    EXPECT_EQ(set_err(t.server, SCTP_RTOINFO, &rto, sizeof rto), EINVAL) << id;
    EXPECT_EQ(set_err(t.server, SCTP_ASSOCINFO, &ap, sizeof ap), EINVAL) << id;
    EXPECT_EQ(set_err(t.server, SCTP_MAXSEG, &av, sizeof av), EINVAL) << id;
    // Getting takes an association's id or SCTP_FUTURE_ASSOC only.
    EXPECT_EQ(get_context(t.server, id), -EINVAL) << id;
    EXPECT_EQ(get_hbinterval(t.server, id), -EINVAL) << id;
  }
  av.assoc_id = unknown;
  EXPECT_EQ(set_err(t.server, SCTP_CONTEXT, &av, sizeof av), EINVAL);
  EXPECT_EQ(set_err(t.server, SCTP_MAX_BURST, &av, sizeof av), EINVAL);
  sctp_event ev{};
  ev.se_assoc_id = unknown;
  ev.se_type = SCTP_SHUTDOWN_EVENT;
  EXPECT_EQ(set_err(t.server, SCTP_EVENT, &ev, sizeof ev), EINVAL);
  sctp_sndrcvinfo d{};
  d.sinfo_assoc_id = unknown;
  EXPECT_EQ(set_err(t.server, SCTP_DEFAULT_SEND_PARAM, &d, sizeof d), EINVAL);
  av.assoc_id = SCTP_ALL_ASSOC;
  EXPECT_EQ(set_err(t.server, SCTP_MAX_BURST, &av, sizeof av), 0) << "MAX_BURST takes ALL";
  EXPECT_EQ(set_err(t.server, SCTP_DELAYED_SACK, &av, sizeof av), 0) << "so does DELAYED_SACK";
  // A one-to-one socket ignores the id, as Linux.
  av.assoc_id = unknown;
  av.assoc_value = 9;
  EXPECT_EQ(set_err(t.clients[0], SCTP_CONTEXT, &av, sizeof av), 0);
  EXPECT_EQ(get_context(t.clients[0], unknown), 9);
  p.spp_assoc_id = unknown;
  p.spp_hbinterval = 4000;
  EXPECT_EQ(set_err(t.clients[0], SCTP_PEER_ADDR_PARAMS, &p, sizeof p), 0);
  EXPECT_EQ(get_hbinterval(t.clients[0], 0), 4000);
}

// Heartbeat settings take effect per association: with the peer frozen
// (SIGSTOP: its TCP stays up, nothing answers), the association given a
// short interval is lost in about a second; the other, on Linux's 30 s
// default, stays established.
API_TEST(OneToManyHeartbeatPerAssociation, 30) {
  int ports[2];
  ASSERT_EQ(pipe(ports), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // the peer: two listening sockets, then nothing
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    uint16_t p[2];
    for (uint16_t& port : p) port = listen_any(sctp_socket());
    if (write(ports[1], p, sizeof p) != sizeof p) _exit(1);
    for (;;) pause();
  }
  uint16_t p[2];
  ASSERT_EQ(read(ports[0], p, sizeof p), static_cast<ssize_t>(sizeof p));
  const int s = many_socket();
  sctp_event_subscribe sub{};
  sub.sctp_association_event = 1;
  ASSERT_EQ(setsockopt(s, SOL_SCTP, SCTP_EVENTS, &sub, sizeof sub), 0);
  for (uint16_t port : p) {
    sockaddr_in to = loopback(port);
    ASSERT_EQ(connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
  }
  const auto ids = assoc_ids(s);
  ASSERT_EQ(ids.size(), 2u);
  for (int i = 0; i < 2; ++i) ASSERT_EQ(next_event(s).rfind("EVENT ASSOC_CHANGE COMM_UP", 0), 0u);
  ASSERT_EQ(kill(child, SIGSTOP), 0);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, WUNTRACED), child);
  sctp_rtoinfo rto{};
  rto.srto_assoc_id = ids[0];
  rto.srto_initial = rto.srto_min = 100;
  rto.srto_max = 200;
  ASSERT_EQ(setsockopt(s, SOL_SCTP, SCTP_RTOINFO, &rto, sizeof rto), 0) << std::strerror(errno);
  // A new interval counts from the next heartbeat (as Linux); switching
  // heartbeats off and on again starts the count now.
  sctp_paddrparams off{};
  off.spp_assoc_id = ids[0];
  off.spp_flags = SPP_HB_DISABLE;
  ASSERT_EQ(setsockopt(s, SOL_SCTP, SCTP_PEER_ADDR_PARAMS, &off, sizeof off), 0) << std::strerror(errno);
  ASSERT_EQ(set_hbinterval(s, ids[0], 100, 2), 0) << std::strerror(errno);
  Received r = receive(s, 70000, 8000);
  ASSERT_TRUE(r.notification()) << "n=" << r.n;
  const auto* n = reinterpret_cast<const sctp_notification*>(r.data.data());
  EXPECT_EQ(n->sn_header.sn_type, SCTP_ASSOC_CHANGE);
  EXPECT_EQ(n->sn_assoc_change.sac_state, SCTP_COMM_LOST);
  EXPECT_EQ(n->sn_assoc_change.sac_assoc_id, ids[0]);
  sctp_status st{};
  st.sstat_assoc_id = ids[1];
  socklen_t len = sizeof st;
  ASSERT_EQ(getsockopt(s, SOL_SCTP, SCTP_STATUS, &st, &len), 0) << std::strerror(errno);
  EXPECT_EQ(st.sstat_state, SCTP_ESTABLISHED) << "the other association keeps its 30 s heartbeat";
  EXPECT_FALSE(readable_within(s, 200));
  kill(child, SIGKILL);
  waitpid(child, &status, 0);
  close(s);
}

}  // namespace sctpmap::test
