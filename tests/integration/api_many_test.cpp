// SPDX-License-Identifier: MIT
// One-to-many (SOCK_SEQPACKET) sockets as an SCTP program uses them, in one
// preloaded process: a listening socket that takes associations without
// accept(), messages tagged with their association (sinfo_assoc_id, the
// peer's address in msg_name), replies by id and by address, associations
// set up by sendmsg to a new address and by connect(), SCTP_EOF, SCTP_ABORT
// and SCTP_SENDALL per association, the association id list, and close()
// ending every association. Linux's errno values are the reference.
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <map>
#include <set>

#include "api_util.hpp"

namespace sctpmap::test {
namespace {

// One recvmsg with the sender's address; notifications decoded to their type.
struct From {
  Received r;
  sockaddr_in addr{};
  uint16_t sn_type = 0;
  sctp_assoc_t assoc = 0;  // of the data (sinfo) or the notification
  uint16_t sac_state = 0xffff;
};

From recv_from(int fd, int timeout_ms = 3000) {
  From f;
  if (!readable_within(fd, timeout_ms)) {
    f.r.n = -2;
    return f;
  }
  f.r.data.resize(70000);
  iovec iov{f.r.data.data(), f.r.data.size()};
  alignas(cmsghdr) char control[256];
  msghdr m{};
  m.msg_name = &f.addr;
  m.msg_namelen = sizeof f.addr;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = sizeof control;
  f.r.n = recvmsg(fd, &m, 0);
  f.r.err = f.r.n < 0 ? errno : 0;
  f.r.flags = m.msg_flags;
  f.r.data.resize(f.r.n > 0 ? size_t(f.r.n) : 0);
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); f.r.n > 0 && c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level == IPPROTO_SCTP && c->cmsg_type == SCTP_SNDRCV) {
      std::memcpy(&f.r.sinfo, CMSG_DATA(c), sizeof f.r.sinfo);
      f.r.has_sinfo = true;
      f.assoc = f.r.sinfo.sinfo_assoc_id;
    }
  }
  if (f.r.notification()) {
    const auto* n = reinterpret_cast<const sctp_notification*>(f.r.data.data());
    f.sn_type = n->sn_header.sn_type;
    if (f.sn_type == SCTP_ASSOC_CHANGE) {
      f.assoc = n->sn_assoc_change.sac_assoc_id;
      f.sac_state = n->sn_assoc_change.sac_state;
    } else if (f.sn_type == SCTP_SHUTDOWN_EVENT) {
      f.assoc = n->sn_shutdown_event.sse_assoc_id;
    }
  }
  return f;
}

void subscribe_all(int fd) {
  sctp_event_subscribe ev{};
  ev.sctp_data_io_event = 1;
  ev.sctp_association_event = 1;
  ev.sctp_shutdown_event = 1;
  ev.sctp_send_failure_event = 1;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_EVENTS, &ev, sizeof ev), 0) << std::strerror(errno);
}

// The next event of `type` (and assoc change `state`), skipping data.
From next_of(int fd, uint16_t type, uint16_t state = 0xffff) {
  for (int i = 0; i < 50; ++i) {
    From f = recv_from(fd);
    if (f.r.n <= 0) return f;
    if (f.sn_type == type && (state == 0xffff || f.sac_state == state)) return f;
  }
  return From{};
}

// sctp_sendmsg to an address (or, with `to` null, the socket's one association).
int send_to(int fd, const std::vector<uint8_t>& data, const sockaddr_in* to, uint16_t stream, uint32_t ppid) {
  return sctp_sendmsg(fd, data.data(), data.size(), reinterpret_cast<sockaddr*>(const_cast<sockaddr_in*>(to)),
                      to ? sizeof *to : 0, ppid,
                      0, stream, 0, 0);
}

// The next data message, skipping notifications.
From next_data(int fd) {
  From f;
  do f = recv_from(fd);
  while (f.r.n > 0 && f.r.notification());
  return f;
}

int send_assoc(int fd, const std::vector<uint8_t>& data, sctp_assoc_t assoc, uint32_t ppid, uint16_t flags = 0) {
  sctp_sndrcvinfo s{};
  s.sinfo_assoc_id = assoc;
  s.sinfo_ppid = ppid;
  s.sinfo_flags = flags;
  return sctp_send(fd, data.data(), data.size(), &s, 0);
}

API_TEST(OneToManyServesManyAssociations, 30) {
  signal(SIGPIPE, SIG_IGN);
  const int server = many_socket();
  ASSERT_NO_FATAL_FAILURE(subscribe_all(server));
  const uint16_t port = listen_any(server);
  sockaddr_in to = loopback(port);

  errno = 0;
  EXPECT_EQ(accept(server, nullptr, nullptr), -1);
  EXPECT_EQ(errno, EOPNOTSUPP) << "one-to-many sockets have no accept()";

  // Two one-to-one clients and one one-to-many client that sets up its
  // association implicitly, by sending to the server's address.
  int one[2];
  for (int& c : one) {
    c = sctp_socket();
    subscribe(c, Events{});  // SCTP_SNDRCV on what they receive
    ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
  }
  const int many = many_socket();
  ASSERT_NO_FATAL_FAILURE(subscribe_all(many));
  ASSERT_EQ(send_to(many, pattern(30, 3), &to, 2, 303), 30) << std::strerror(errno);
  ASSERT_EQ(send_to(one[0], pattern(10, 1), nullptr, 0, 101), 10);
  ASSERT_EQ(send_to(one[1], pattern(20, 2), nullptr, 1, 202), 20);

  // The server sees three COMM_UPs and three messages, each tagged with its
  // association and its sender's address.
  std::set<sctp_assoc_t> up;
  std::map<uint32_t, From> by_ppid;
  while (by_ppid.size() < 3 || up.size() < 3) {
    From f = recv_from(server);
    ASSERT_GT(f.r.n, 0) << "server: " << (f.r.n == -2 ? "nothing within 3 s" : std::strerror(f.r.err));
    if (f.r.notification()) {
      ASSERT_EQ(f.sn_type, SCTP_ASSOC_CHANGE);
      EXPECT_EQ(f.sac_state, SCTP_COMM_UP);
      EXPECT_TRUE(up.insert(f.assoc).second) << "COMM_UP twice for " << f.assoc;
      continue;
    }
    ASSERT_TRUE(f.r.has_sinfo);
    // The client's first message may share a TCP read with its INIT: COMM_UP still comes first.
    EXPECT_TRUE(up.count(f.assoc)) << "data before its association's COMM_UP";
    by_ppid[f.r.sinfo.sinfo_ppid] = f;
  }
  EXPECT_EQ(up.size(), 3u);
  for (auto& [ppid, f] : by_ppid) {
    EXPECT_TRUE(up.count(f.assoc)) << "data from an association without COMM_UP: " << f.assoc;
    EXPECT_EQ(f.addr.sin_family, AF_INET);
    EXPECT_EQ(f.addr.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    EXPECT_TRUE(f.r.flags & MSG_EOR);
  }
  ASSERT_EQ(by_ppid.count(303), 1u);
  EXPECT_EQ(by_ppid[303].r.sinfo.sinfo_stream, 2);
  EXPECT_TRUE(by_ppid[303].r.data == pattern(30, 3));
  uint32_t number = 0;
  socklen_t len = sizeof number;
  ASSERT_EQ(getsockopt(server, SOL_SCTP, SCTP_GET_ASSOC_NUMBER, &number, &len), 0) << std::strerror(errno);
  EXPECT_EQ(number, 3u);
  alignas(sctp_assoc_ids) char idbuf[sizeof(sctp_assoc_ids) + 8 * sizeof(sctp_assoc_t)];
  len = sizeof idbuf;
  ASSERT_EQ(getsockopt(server, SOL_SCTP, SCTP_GET_ASSOC_ID_LIST, idbuf, &len), 0) << std::strerror(errno);
  const auto* ids = reinterpret_cast<const sctp_assoc_ids*>(idbuf);
  ASSERT_EQ(ids->gaids_number_of_ids, 3u);
  EXPECT_EQ(std::set<sctp_assoc_t>(ids->gaids_assoc_id, ids->gaids_assoc_id + 3), up);
  sctp_status st{};
  st.sstat_assoc_id = by_ppid[101].assoc;
  len = sizeof st;
  ASSERT_EQ(getsockopt(server, SOL_SCTP, SCTP_STATUS, &st, &len), 0) << std::strerror(errno);
  EXPECT_EQ(st.sstat_state, SCTP_ESTABLISHED);
  EXPECT_EQ(st.sstat_assoc_id, by_ppid[101].assoc);

  // Replies: by association id to the first client, by address to the second.
  ASSERT_EQ(send_assoc(server, pattern(11, 4), by_ppid[101].assoc, 111), 11) << std::strerror(errno);
  sockaddr_in back = by_ppid[202].addr;
  ASSERT_EQ(send_to(server, pattern(22, 5), &back, 0, 222), 22) << std::strerror(errno);
  ASSERT_EQ(send_assoc(server, pattern(33, 6), by_ppid[303].assoc, 333), 33) << std::strerror(errno);
  const Received r0 = receive(one[0]);
  EXPECT_EQ(r0.sinfo.sinfo_ppid, 111u);
  EXPECT_TRUE(r0.data == pattern(11, 4));
  const Received r1 = receive(one[1]);
  EXPECT_EQ(r1.sinfo.sinfo_ppid, 222u);
  From mr = next_data(many);
  ASSERT_EQ(mr.r.n, 33);
  EXPECT_EQ(mr.r.sinfo.sinfo_ppid, 333u);
  EXPECT_EQ(ntohs(mr.addr.sin_port), port) << "the reply comes from the server's SCTP port";

  // An id that names no association: EPIPE, as Linux.
  errno = 0;
  EXPECT_EQ(send_assoc(server, pattern(5), 987654, 1), -1);
  EXPECT_EQ(errno, EPIPE);

  // SCTP_SENDALL: one copy to every association.
  ASSERT_EQ(send_assoc(server, pattern(7, 9), 0, 777, SCTP_SENDALL), 7) << std::strerror(errno);
  EXPECT_EQ(receive(one[0]).sinfo.sinfo_ppid, 777u);
  EXPECT_EQ(receive(one[1]).sinfo.sinfo_ppid, 777u);
  mr = next_data(many);
  EXPECT_EQ(mr.r.sinfo.sinfo_ppid, 777u);

  // SCTP_EOF on one association: it alone shuts down.
  ASSERT_EQ(send_assoc(server, {}, by_ppid[101].assoc, 0, SCTP_EOF), 0) << std::strerror(errno);
  From down = next_of(server, SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_COMP);
  EXPECT_EQ(down.assoc, by_ppid[101].assoc);
  EXPECT_EQ(next_event(one[0]), "EOF") << "the one-to-one peer sees the end";
  ASSERT_EQ(send_assoc(server, pattern(3), by_ppid[202].assoc, 2), 3) << "the others keep working";
  EXPECT_EQ(receive(one[1]).n, 3);

  // SCTP_ABORT on another: the peer learns at once.
  ASSERT_EQ(send_assoc(server, {}, by_ppid[202].assoc, 0, SCTP_ABORT), 0) << std::strerror(errno);
  EXPECT_EQ(next_event(one[1]), "RECV_ERROR ECONNRESET");

  // close() of the one-to-many socket ends what is left gracefully.
  close(server);
  From lost = next_of(many, SCTP_ASSOC_CHANGE);
  EXPECT_EQ(lost.sac_state, SCTP_SHUTDOWN_COMP);
  for (int c : one) close(c);
  close(many);
}

API_TEST(OneToManyConnect, 20) {
  const int server = many_socket();
  ASSERT_NO_FATAL_FAILURE(subscribe_all(server));
  const uint16_t port = listen_any(server);
  sockaddr_in to = loopback(port);
  const int client = many_socket();
  ASSERT_NO_FATAL_FAILURE(subscribe_all(client));
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
  errno = 0;
  EXPECT_EQ(connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to), -1);
  EXPECT_EQ(errno, EISCONN) << "one association per peer";
  From up = next_of(client, SCTP_ASSOC_CHANGE, SCTP_COMM_UP);
  ASSERT_GT(up.r.n, 0);
  EXPECT_GT(up.assoc, 0);

  // sctp_connectx to a port nobody listens on: refused, no association left.
  sockaddr_in dead = loopback(closed_port());
  sctp_assoc_t id = 0;
  errno = 0;
  EXPECT_EQ(sctp_connectx(client, reinterpret_cast<sockaddr*>(&dead), 1, &id), -1);
  EXPECT_EQ(errno, ECONNREFUSED);

  // A non-blocking sctp_connectx returns the id at once (EINPROGRESS).
  const int nb = many_socket();
  ASSERT_EQ(fcntl(nb, F_SETFL, fcntl(nb, F_GETFL) | O_NONBLOCK), 0);
  ASSERT_NO_FATAL_FAILURE(subscribe_all(nb));
  id = 0;
  errno = 0;
  EXPECT_EQ(sctp_connectx(nb, reinterpret_cast<sockaddr*>(&to), 1, &id), -1);
  EXPECT_EQ(errno, EINPROGRESS);
  EXPECT_GT(id, 0);
  From nbup = next_of(nb, SCTP_ASSOC_CHANGE, SCTP_COMM_UP);
  EXPECT_EQ(nbup.assoc, id) << "COMM_UP carries the id sctp_connectx returned";
  ASSERT_EQ(send_assoc(nb, pattern(9), id, 99), 9) << std::strerror(errno);
  EXPECT_EQ(next_data(server).r.sinfo.sinfo_ppid, 99u);
  close(nb);
  close(client);
  close(server);
}

// Every association of a one-to-many socket uses the socket's port, as with
// SCTP: an unbound socket gets one at its first association (Linux's
// autobind), its peers all see that port, and listen() later takes
// associations on the same port.
API_TEST(OneToManyAssociationsShareTheSocketsPort, 20) {
  const int m = many_socket();
  sockaddr_in me{};
  socklen_t len = sizeof me;
  ASSERT_EQ(getsockname(m, reinterpret_cast<sockaddr*>(&me), &len), 0) << std::strerror(errno);
  EXPECT_EQ(me.sin_port, 0) << "unbound: no port yet";
  int listeners[2], accepted[2];
  for (int i = 0; i < 2; ++i) {
    listeners[i] = sctp_socket();
    sockaddr_in to = loopback(listen_any(listeners[i]));
    ASSERT_EQ(connect(m, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
    accepted[i] = accept_within(listeners[i], 5000);
    ASSERT_GE(accepted[i], 0);
  }
  len = sizeof me;
  ASSERT_EQ(getsockname(m, reinterpret_cast<sockaddr*>(&me), &len), 0) << std::strerror(errno);
  ASSERT_NE(me.sin_port, 0) << "bound at the first association";
  for (int i = 0; i < 2; ++i) {
    sockaddr_in peer{};
    len = sizeof peer;
    ASSERT_EQ(getpeername(accepted[i], reinterpret_cast<sockaddr*>(&peer), &len), 0) << std::strerror(errno);
    EXPECT_EQ(ntohs(peer.sin_port), ntohs(me.sin_port)) << "association " << i << " comes from the socket's port";
  }
  ASSERT_EQ(listen(m, 8), 0) << std::strerror(errno);
  const int c = sctp_socket();
  sockaddr_in to = loopback(ntohs(me.sin_port));
  ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << "listening on the shared port: " << std::strerror(errno);
  ASSERT_EQ(send_message(c, pattern(5)), 5) << std::strerror(errno);
  EXPECT_EQ(next_data(m).r.n, 5);
  close(c);
  for (int i = 0; i < 2; ++i) {
    close(accepted[i]);
    close(listeners[i]);
  }
  close(m);
}

// sctp_peeloff moves one association to a one-to-one socket of its own (the
// real libsctp.so.1 calls underneath: SCTP_SOCKOPT_PEELOFF(_FLAGS));
// sctp_getpaddrs/getladdrs report each association's addresses.
API_TEST(OneToManyPeeloffAndAddresses, 20) {
  signal(SIGPIPE, SIG_IGN);  // EPIPE below, with SIGPIPE as Linux
  const int server = many_socket();
  ASSERT_NO_FATAL_FAILURE(subscribe_all(server));
  const uint16_t port = listen_any(server);
  sockaddr_in to = loopback(port);
  int client[2];
  for (int& c : client) {
    c = sctp_socket();
    subscribe(c, Events{});
    ASSERT_EQ(connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
  }
  ASSERT_EQ(send_to(client[0], pattern(10, 1), nullptr, 0, 1), 10);
  ASSERT_EQ(send_to(client[1], pattern(20, 2), nullptr, 0, 2), 20);
  std::map<uint32_t, From> by_ppid;
  while (by_ppid.size() < 2) {
    From f = next_data(server);
    ASSERT_GT(f.r.n, 0);
    by_ppid[f.r.sinfo.sinfo_ppid] = f;
  }
  const sctp_assoc_t a0 = by_ppid[1].assoc, a1 = by_ppid[2].assoc;

  sockaddr* addrs = nullptr;
  ASSERT_EQ(sctp_getpaddrs(server, a0, &addrs), 1) << std::strerror(errno);
  sockaddr_in client_addr{};
  socklen_t len = sizeof client_addr;
  ASSERT_EQ(getsockname(client[0], reinterpret_cast<sockaddr*>(&client_addr), &len), 0);
  EXPECT_EQ(reinterpret_cast<sockaddr_in*>(addrs)->sin_port, client_addr.sin_port) << "the peer of that association";
  EXPECT_EQ(reinterpret_cast<sockaddr_in*>(addrs)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
  sctp_freepaddrs(addrs);
  ASSERT_EQ(sctp_getladdrs(server, a0, &addrs), 1) << std::strerror(errno);
  EXPECT_EQ(ntohs(reinterpret_cast<sockaddr_in*>(addrs)->sin_port), port);
  sctp_freeladdrs(addrs);
  errno = 0;
  EXPECT_EQ(sctp_getpaddrs(server, 424242, &addrs), -1) << "no such association";
  EXPECT_EQ(errno, EINVAL);

  errno = 0;
  EXPECT_EQ(sctp_peeloff(client[0], 0), -1) << "one-to-one sockets cannot be peeled";
  EXPECT_EQ(errno, EINVAL);
  errno = 0;
  EXPECT_EQ(sctp_peeloff(server, 424242), -1);
  EXPECT_EQ(errno, EINVAL);

  // Debian's libsctp.so.1 has no sctp_peeloff_flags: its option, as Linux has it.
  sctp_peeloff_flags_arg_t pf{};
  pf.p_arg.associd = a0;
  pf.flags = SOCK_NONBLOCK;
  len = sizeof pf;
  ASSERT_EQ(getsockopt(server, SOL_SCTP, SCTP_SOCKOPT_PEELOFF_FLAGS, &pf, &len), 0) << std::strerror(errno);
  const int peeled = pf.p_arg.sd;
  ASSERT_GE(peeled, 0);
  EXPECT_TRUE(fcntl(peeled, F_GETFL) & O_NONBLOCK);
  int type = 0;
  len = sizeof type;
  ASSERT_EQ(getsockopt(peeled, SOL_SOCKET, SO_TYPE, &type, &len), 0);
  EXPECT_EQ(type, SOCK_STREAM);
  sockaddr_in peer{};
  len = sizeof peer;
  ASSERT_EQ(getpeername(peeled, reinterpret_cast<sockaddr*>(&peer), &len), 0) << std::strerror(errno);
  EXPECT_EQ(peer.sin_port, client_addr.sin_port);
  uint32_t number = 0;
  len = sizeof number;
  ASSERT_EQ(getsockopt(server, SOL_SCTP, SCTP_GET_ASSOC_NUMBER, &number, &len), 0);
  EXPECT_EQ(number, 1u) << "the peeled association left the one-to-many socket";
  errno = 0;
  EXPECT_EQ(send_assoc(server, pattern(3), a0, 9), -1) << "its id is no longer the old socket's";
  EXPECT_EQ(errno, EPIPE);

  // Both ways on the peeled socket; the other association stays where it was.
  ASSERT_EQ(send_to(peeled, pattern(40, 4), nullptr, 0, 44), 40) << std::strerror(errno);
  const Received r = receive(client[0]);
  EXPECT_EQ(r.sinfo.sinfo_ppid, 44u);
  ASSERT_EQ(send_to(client[0], pattern(50, 5), nullptr, 0, 55), 50);
  const Received back = receive(peeled);
  ASSERT_EQ(back.n, 50);
  EXPECT_EQ(back.sinfo.sinfo_ppid, 55u);
  EXPECT_EQ(back.sinfo.sinfo_assoc_id, a0) << "the association keeps its id";
  ASSERT_EQ(send_to(client[1], pattern(60, 6), nullptr, 0, 66), 60);
  From f = next_data(server);
  EXPECT_EQ(f.r.sinfo.sinfo_ppid, 66u);
  EXPECT_EQ(f.assoc, a1);
  EXPECT_FALSE(readable_within(server, 100)) << "nothing of the peeled association on the old socket";

  close(peeled);  // a graceful end for that association alone
  EXPECT_EQ(next_event(client[0]), "EOF");
  ASSERT_EQ(send_assoc(server, pattern(7), a1, 77), 7) << std::strerror(errno);
  EXPECT_EQ(receive(client[1]).sinfo.sinfo_ppid, 77u);
  for (int c : client) close(c);
  close(server);
}

// SCTP_AUTOCLOSE: an association idle for that many seconds shuts down by
// itself; a one-to-one socket refuses the option (EOPNOTSUPP), as Linux.
API_TEST(OneToManyAutoclose, 20) {
  const int server = many_socket();
  ASSERT_NO_FATAL_FAILURE(subscribe_all(server));
  const uint32_t one_second = 1;
  ASSERT_EQ(setsockopt(server, SOL_SCTP, SCTP_AUTOCLOSE, &one_second, sizeof one_second), 0) << std::strerror(errno);
  const uint16_t port = listen_any(server);
  sockaddr_in to = loopback(port);
  const int client = sctp_socket();
  subscribe(client, Events{true, true, false});
  errno = 0;
  EXPECT_EQ(setsockopt(client, SOL_SCTP, SCTP_AUTOCLOSE, &one_second, sizeof one_second), -1);
  EXPECT_EQ(errno, EOPNOTSUPP);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
  ASSERT_EQ(send_to(client, pattern(10), nullptr, 0, 5), 10);
  EXPECT_EQ(next_data(server).r.n, 10);
  EXPECT_EQ(next_event(client).rfind("EVENT ASSOC_CHANGE COMM_UP", 0), 0u);
  // Nothing moves now: within about a second the server ends the association.
  const auto start = std::chrono::steady_clock::now();
  From down = next_of(server, SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_COMP);
  const auto waited = std::chrono::steady_clock::now() - start;
  ASSERT_GT(down.r.n, 0) << "no SHUTDOWN_COMP after SCTP_AUTOCLOSE";
  EXPECT_GE(waited, std::chrono::milliseconds(500)) << "closed before it was idle for the autoclose time";
  EXPECT_EQ(next_event(client), "EVENT SHUTDOWN_EVENT");
  close(client);
  close(server);
}

// sctp_bindx (the real libsctp.so.1 over SCTP_SOCKOPT_BINDX_ADD/REM): a socket
// bound to two addresses takes associations on both; sctp_getladdrs lists
// them; Linux's errno for a wrong port (EINVAL), removing the last address
// (EBUSY) and removing one not bound (EINVAL).
API_TEST(BindxListensOnEveryAddress, 20) {
  const int server = many_socket();
  ASSERT_NO_FATAL_FAILURE(subscribe_all(server));
  sockaddr_in first = loopback(0);
  ASSERT_EQ(sctp_bindx(server, reinterpret_cast<sockaddr*>(&first), 1, SCTP_BINDX_ADD_ADDR), 0) << std::strerror(errno);
  socklen_t len = sizeof first;
  ASSERT_EQ(getsockname(server, reinterpret_cast<sockaddr*>(&first), &len), 0);
  const uint16_t port = ntohs(first.sin_port);
  ASSERT_NE(port, 0);
  sockaddr_in second = loopback(0);  // port 0: the socket's
  second.sin_addr.s_addr = htonl(0x7f000002);  // 127.0.0.2, also this host
  ASSERT_EQ(sctp_bindx(server, reinterpret_cast<sockaddr*>(&second), 1, SCTP_BINDX_ADD_ADDR), 0) << std::strerror(errno);
  sockaddr_in wrong = loopback(port == 65535 ? 1 : port + 1);
  wrong.sin_addr.s_addr = htonl(0x7f000003);
  errno = 0;
  EXPECT_EQ(sctp_bindx(server, reinterpret_cast<sockaddr*>(&wrong), 1, SCTP_BINDX_ADD_ADDR), -1) << "another port";
  EXPECT_EQ(errno, EINVAL);
  sockaddr* addrs = nullptr;
  ASSERT_EQ(sctp_getladdrs(server, 0, &addrs), 2) << std::strerror(errno);
  sctp_freeladdrs(addrs);
  ASSERT_EQ(listen(server, 8), 0) << std::strerror(errno);

  int clients[2];
  for (int i = 0; i < 2; ++i) {
    clients[i] = sctp_socket();
    sockaddr_in to = loopback(port);
    to.sin_addr.s_addr = htonl(0x7f000001 + i);
    ASSERT_EQ(connect(clients[i], reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << "address " << i << ": " << std::strerror(errno);
    ASSERT_EQ(send_to(clients[i], pattern(10), nullptr, 0, 100 + i), 10);
  }
  std::set<uint32_t> ppids;
  while (ppids.size() < 2) {
    From f = next_data(server);
    ASSERT_GT(f.r.n, 0);
    ppids.insert(f.r.sinfo.sinfo_ppid);
  }
  EXPECT_EQ(ppids, (std::set<uint32_t>{100, 101}));

  // Removing: not the last address, and only one that is bound.
  const int other = many_socket();
  sockaddr_in a = loopback(0);
  ASSERT_EQ(sctp_bindx(other, reinterpret_cast<sockaddr*>(&a), 1, SCTP_BINDX_ADD_ADDR), 0);
  len = sizeof a;
  getsockname(other, reinterpret_cast<sockaddr*>(&a), &len);
  sockaddr_in b = a;
  b.sin_addr.s_addr = htonl(0x7f000002);
  ASSERT_EQ(sctp_bindx(other, reinterpret_cast<sockaddr*>(&b), 1, SCTP_BINDX_ADD_ADDR), 0);
  sockaddr_in c = a;
  c.sin_addr.s_addr = htonl(0x7f000009);
  errno = 0;
  EXPECT_EQ(sctp_bindx(other, reinterpret_cast<sockaddr*>(&c), 1, SCTP_BINDX_REM_ADDR), -1) << "not bound";
  EXPECT_EQ(errno, EINVAL);
  ASSERT_EQ(sctp_bindx(other, reinterpret_cast<sockaddr*>(&a), 1, SCTP_BINDX_REM_ADDR), 0) << std::strerror(errno);
  errno = 0;
  EXPECT_EQ(sctp_bindx(other, reinterpret_cast<sockaddr*>(&b), 1, SCTP_BINDX_REM_ADDR), -1) << "the last address";
  EXPECT_EQ(errno, EBUSY);
  ASSERT_EQ(sctp_getladdrs(other, 0, &addrs), 1);
  EXPECT_EQ(reinterpret_cast<sockaddr_in*>(addrs)->sin_addr.s_addr, htonl(0x7f000002));
  sctp_freeladdrs(addrs);
  for (int cl : clients) close(cl);
  close(other);
  close(server);
}

// A one-to-many socket that sends to a new peer and closes at once: the
// association it set up still comes up, delivers, and shuts down gracefully.
API_TEST(OneToManySendThenCloseDelivers, 20) {
  const int server = many_socket();
  ASSERT_NO_FATAL_FAILURE(subscribe_all(server));
  const uint16_t port = listen_any(server);
  sockaddr_in to = loopback(port);
  for (int round = 0; round < 20; ++round) {
    const int client = many_socket();
    ASSERT_EQ(send_to(client, pattern(40, uint8_t(round)), &to, 1, 900 + round), 40) << std::strerror(errno);
    close(client);
    From f = next_data(server);
    ASSERT_EQ(f.r.n, 40) << "round " << round;
    EXPECT_EQ(f.r.sinfo.sinfo_ppid, uint32_t(900 + round));
    From down = next_of(server, SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_COMP);
    EXPECT_EQ(down.assoc, f.assoc) << "round " << round;
  }
  close(server);
}

}  // namespace
}  // namespace sctpmap::test
