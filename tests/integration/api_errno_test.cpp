// SPDX-License-Identifier: MIT
// The errno of every API call on bad arguments, for one-to-one and
// one-to-many sockets, as (return value, errno) tables in the manner of
// lksctp-tools' func_tests. Each row names the Linux code that returns the
// value: net/socket.c (__sock_create, sockfd_lookup), net/ipv4/af_inet.c
// (inet_create, inet_shutdown), net/sctp/socket.c, or the lksctp-tools
// func_test that checks it (src/func_tests/test_1_to_1_*.c). Linux is the
// reference: a row where sctpmap differs is not weakened here, it is left out
// and listed in the commit that added this file.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>
#include <string>

#include "api_util.hpp"

namespace sctpmap::test {
namespace {

struct Case {
  const char* call;   // as an SCTP program writes it
  int linux_errno;
  const char* where;  // the Linux function (or lksctp func_test) giving it
  std::function<long()> run;
};

std::string errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : std::to_string(e);
}

// Every row must fail with -1 and exactly Linux's errno.
void expect_errors(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    errno = 0;
    const long rc = c.run();
    const int err = errno;
    EXPECT_TRUE(rc == -1 && err == c.linux_errno)
        << c.call << ": Linux -1 " << errno_name(c.linux_errno) << " (" << c.where << "), got " << rc << " "
        << (rc == -1 ? errno_name(err) : "");
  }
}

constexpr int kBadFd = -1;  // never an fd: EBADF (sockfd_lookup); lksctp uses -1 too

sockaddr* sa(sockaddr_in& a) { return reinterpret_cast<sockaddr*>(&a); }

// A pipe's read end: a valid fd that is no socket (ENOTSOCK, sockfd_lookup).
struct Pipe {
  int fd[2] = {-1, -1};
  Pipe() { EXPECT_EQ(pipe(fd), 0); }
  ~Pipe() {
    close(fd[0]);
    close(fd[1]);
  }
};

ssize_t send_len(int fd, const void* buf, size_t len, uint16_t stream, uint32_t flags = 0, sctp_assoc_t id = 0) {
  sctp_sndrcvinfo s{};
  s.sinfo_stream = stream;
  s.sinfo_flags = uint16_t(flags);
  s.sinfo_assoc_id = id;
  return sctp_send(fd, buf, len, &s, MSG_NOSIGNAL);
}

ssize_t recv_one(int fd, int flags = 0) {
  char buf[256];
  return recv(fd, buf, sizeof buf, flags);
}

int get_len(int fd, int opt, socklen_t len) {
  char buf[512] = {};
  return getsockopt(fd, SOL_SCTP, opt, buf, &len);
}

int set_len(int fd, int opt, socklen_t len) {
  char buf[512] = {};
  return setsockopt(fd, SOL_SCTP, opt, buf, len);
}

API_TEST(ErrnoSocketBindListen, 20) {
  Pipe p;
  const int bound = sctp_socket();
  sockaddr_in any = loopback(0);
  ASSERT_EQ(bind(bound, sa(any), sizeof any), 0);
  const int listener = sctp_socket();
  const uint16_t port = listen_any(listener);
  sockaddr_in used = loopback(port);
  const int fresh = sctp_socket();
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  expect_errors({
      {"socket(-1, SOCK_STREAM, IPPROTO_SCTP)", EAFNOSUPPORT, "__sock_create: family >= NPROTO",
       [] { return socket(-1, SOCK_STREAM, IPPROTO_SCTP); }},
      {"socket(AF_INET, SOCK_RDM, IPPROTO_SCTP)", ESOCKTNOSUPPORT, "inet_create: inetsw[SOCK_RDM] is empty",
       [] { return socket(AF_INET, SOCK_RDM, IPPROTO_SCTP); }},
      {"bind(bound, 127.0.0.1:0) twice", EINVAL, "sctp_bind: bind_addr.port already set; TEST8",
       [&] { return bind(bound, sa(any), sizeof any); }},
      {"bind(fresh, port of a listening SCTP socket)", EADDRINUSE, "sctp_do_bind: sctp_get_port_local fails",
       [&] { return bind(fresh, sa(used), sizeof used); }},
      {"bind(fresh, addr, sizeof(sockaddr_in) - 2)", EINVAL, "sctp_do_bind: sctp_sockaddr_af len < af->sockaddr_len; TEST5",
       [&] { return bind(fresh, sa(any), sizeof any - 2); }},
      {"bind(-1)", EBADF, "sockfd_lookup", [&] { return bind(kBadFd, sa(any), sizeof any); }},
      {"bind(pipe)", ENOTSOCK, "sockfd_lookup; TEST6", [&] { return bind(p.fd[0], sa(any), sizeof any); }},
      {"listen(-1)", EBADF, "sockfd_lookup; TEST13", [&] { return listen(kBadFd, 1); }},
      {"listen(pipe)", ENOTSOCK, "sockfd_lookup; TEST14", [&] { return listen(p.fd[0], 1); }},
      {"listen(connected one-to-one)", EINVAL, "sctp_inet_listen: sock->state != SS_UNCONNECTED",
       [&] { return listen(a.client, 1); }},
  });
  for (int fd : {bound, listener, fresh}) close(fd);
}

API_TEST(ErrnoAcceptConnect, 20) {
  Pipe p;
  const int plain = sctp_socket();
  const int nb_listener = sctp_socket(SOCK_NONBLOCK);
  listen_any(nb_listener);
  const int many = many_socket();
  listen_any(many);
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  sockaddr_in peer = loopback(a.port);
  sockaddr_in refused = loopback(closed_port());
  const int c1 = sctp_socket(), c2 = sctp_socket();
  expect_errors({
      {"accept(-1)", EBADF, "sockfd_lookup; test_1_to_1_accept_close TEST1",
       [&] { return accept(kBadFd, nullptr, nullptr); }},
      {"accept(pipe)", ENOTSOCK, "sockfd_lookup; TEST2", [&] { return accept(p.fd[0], nullptr, nullptr); }},
      {"accept(unbound one-to-one)", EINVAL, "sctp_accept: !LISTENING; TEST4",
       [&] { return accept(plain, nullptr, nullptr); }},
      {"accept(accepted one-to-one)", EINVAL, "sctp_accept: !LISTENING; TEST5",
       [&] { return accept(a.server, nullptr, nullptr); }},
      {"accept(non-blocking listener, nothing pending)", EAGAIN, "sctp_accept: sctp_wait_for_accept, timeo 0",
       [&] { return accept(nb_listener, nullptr, nullptr); }},
      {"accept(one-to-many)", EOPNOTSUPP, "sctp_accept: !sctp_style(sk, TCP)",
       [&] { return accept(many, nullptr, nullptr); }},
      {"connect(-1)", EBADF, "sockfd_lookup; test_1_to_1_connect TEST1",
       [&] { return connect(kBadFd, sa(peer), sizeof peer); }},
      {"connect(pipe)", ENOTSOCK, "sockfd_lookup; TEST2", [&] { return connect(p.fd[0], sa(peer), sizeof peer); }},
      {"connect(addr, sizeof(sockaddr_in) - 3)", EINVAL, "sctp_connect: addr_len < af->sockaddr_len; TEST4",
       [&] { return connect(c1, sa(peer), sizeof peer - 3); }},
      {"connect(port nobody listens on)", ECONNREFUSED, "INIT answered by ABORT",
       [&] { return connect(c2, sa(refused), sizeof refused); }},
      {"connect(established one-to-one)", EISCONN, "__sctp_connect: ESTABLISHED; TEST9",
       [&] { return connect(a.client, sa(peer), sizeof peer); }},
  });
  for (int fd : {plain, nb_listener, many, c1, c2}) close(fd);
}

// A second connect while a non-blocking one is under way. The peer is a
// plain TCP listener that never answers our handshake, so the association
// stays in COOKIE_WAIT.
API_TEST(ErrnoConnectAlready, 20) {
  const int tcp = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr = loopback(0);
  ASSERT_EQ(bind(tcp, sa(addr), sizeof addr), 0);
  ASSERT_EQ(listen(tcp, 4), 0);
  socklen_t len = sizeof addr;
  ASSERT_EQ(getsockname(tcp, sa(addr), &len), 0);
  const int c = sctp_socket(SOCK_NONBLOCK);
  errno = 0;
  ASSERT_EQ(connect(c, sa(addr), sizeof addr), -1);
  ASSERT_EQ(errno, EINPROGRESS);
  expect_errors({
      {"connect() again while non-blocking connect is in progress", EALREADY,
       "__sctp_connect: association found, state < ESTABLISHED",
       [&] { return connect(c, sa(addr), sizeof addr); }},
  });
  close(c);
  close(tcp);
}

API_TEST(ErrnoSendRecvOneToOne, 30) {
  signal(SIGPIPE, SIG_IGN);
  Pipe p;
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  const int fresh = sctp_socket();
  const char byte = 'x';
  timeval tv{1, 0};
  ASSERT_EQ(setsockopt(fresh, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  expect_errors({
      {"sctp_send(-1)", EBADF, "sockfd_lookup; test_1_to_1_sendmsg TEST1",
       [&] { return send_len(kBadFd, &byte, 1, 0); }},
      {"sctp_send(pipe)", ENOTSOCK, "sockfd_lookup; TEST2", [&] { return send_len(p.fd[1], &byte, 1, 0); }},
      {"sctp_send(len 0)", EINVAL, "sctp_sendmsg_parse: msg_len 0 without SCTP_EOF/ABORT",
       [&] { return send_len(a.client, &byte, 0, 0); }},
      {"sctp_send(stream 10 of 10)", EINVAL, "sctp_sendmsg_to_asoc: sinfo_stream >= outcnt",
       [&] { return send_len(a.client, &byte, 1, 10); }},
      {"sctp_sendmsg(stream 65535)", EINVAL, "sctp_sendmsg_to_asoc: sinfo_stream >= outcnt",
       [&] { return long(sctp_sendmsg(a.client, &byte, 1, nullptr, 0, 0, 0, 65535, 0, 0)); }},
      {"recv(-1)", EBADF, "sockfd_lookup; test_1_to_1_recvmsg TEST1", [&] { return recv_one(kBadFd); }},
      {"recv(pipe)", ENOTSOCK, "sockfd_lookup; TEST2", [&] { return recv_one(p.fd[0]); }},
      {"recv(listening one-to-one)", ENOTCONN, "sctp_recvmsg: TCP style not ESTABLISHED/CLOSING; TEST5",
       [&] { return recv_one(a.listener); }},
      {"recv(unconnected one-to-one, SO_RCVTIMEO 1 s)", ENOTCONN, "sctp_wait_for_packet: no association",
       [&] { return recv_one(fresh); }},
      {"recv(MSG_DONTWAIT, nothing queued)", EAGAIN, "sctp_skb_recv_datagram: timeo 0",
       [&] { return recv_one(a.server, MSG_DONTWAIT); }},
  });
  close(fresh);
}

// Sends until the send buffer is full, the peer reading nothing: EAGAIN
// (sctp_sendmsg_to_asoc -> sctp_wait_for_sndbuf with timeo 0), bounded, for
// an O_NONBLOCK socket and for MSG_DONTWAIT on a blocking one. SIGALRM
// (without SA_RESTART) bounds a send that blocks instead.
void on_alarm(int) {}

long fill(int fd, int flags) {
  const auto msg = pattern(60000);
  long r = 0;
  for (int i = 0; i < 4000 && r >= 0; ++i) r = send(fd, msg.data(), msg.size(), flags);
  return r;
}

API_TEST(ErrnoSendFull, 30) {
  struct sigaction sa_alarm {};
  sa_alarm.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa_alarm, nullptr);
  Assoc a, b;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  ASSERT_NO_FATAL_FAILURE(make_assoc(b));
  ASSERT_EQ(fcntl(a.client, F_SETFL, fcntl(a.client, F_GETFL) | O_NONBLOCK), 0);
  alarm(5);
  expect_errors({
      {"send() on an O_NONBLOCK socket, send buffer full", EAGAIN, "sctp_wait_for_sndbuf, timeo 0",
       [&] { return fill(a.client, 0); }},
      {"send(MSG_DONTWAIT) on a blocking socket, send buffer full", EAGAIN,
       "sctp_sendmsg_to_asoc: sock_sndtimeo(sk, MSG_DONTWAIT) is 0",
       [&] { return fill(b.client, MSG_DONTWAIT); }},
  });
  alarm(0);
}

// After the association is shut down: send gives EPIPE
// (sctp_sendmsg_check_sflags: CLOSED and TCP style), and recv on the side
// that sent SHUTDOWN, once nothing is left, ENOTCONN (test_1_to_1_recvmsg
// TEST8, test_1_to_1_shutdown TEST3).
API_TEST(ErrnoAfterShutdown, 20) {
  signal(SIGPIPE, SIG_IGN);
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  ASSERT_EQ(shutdown(a.client, SHUT_WR), 0) << std::strerror(errno);
  EXPECT_EQ(receive(a.server).n, 0) << "the peer reads EOF after SHUTDOWN";
  const char byte = 'x';
  char buf[16];
  const timeval bound{5, 0};  // a hang fails, not blocks, the test
  ASSERT_EQ(setsockopt(a.client, SOL_SOCKET, SO_RCVTIMEO, &bound, sizeof bound), 0);
  expect_errors({
      {"sctp_send() after shutdown(SHUT_WR) completed", EPIPE, "sctp_sendmsg_check_sflags: CLOSED, TCP style",
       [&] { return send_len(a.client, &byte, 1, 0); }},
      {"recv() after shutdown(SHUT_WR) completed, nothing left", ENOTCONN,
       "sctp_recvmsg: TCP style, not ESTABLISHED/CLOSING; test_1_to_1_recvmsg TEST8",
       [&] { return recv(a.client, buf, sizeof buf, 0); }},
  });
}

API_TEST(ErrnoSockoptOneToOne, 20) {
  Pipe p;
  const int fd = sctp_socket();
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  int one = 1;
  expect_errors({
      {"setsockopt(-1, SOL_SCTP)", EBADF, "sockfd_lookup; test_1_to_1_sockopt TEST1",
       [&] { return setsockopt(kBadFd, SOL_SCTP, SCTP_NODELAY, &one, sizeof one); }},
      {"setsockopt(pipe, SOL_SCTP)", ENOTSOCK, "sockfd_lookup; TEST2",
       [&] { return setsockopt(p.fd[0], SOL_SCTP, SCTP_NODELAY, &one, sizeof one); }},
      {"getsockopt(-1, SOL_SCTP)", EBADF, "sockfd_lookup; TEST6", [&] { return get_len(kBadFd, SCTP_NODELAY, 4); }},
      {"getsockopt(pipe, SOL_SCTP)", ENOTSOCK, "sockfd_lookup; TEST7",
       [&] { return get_len(p.fd[0], SCTP_NODELAY, 4); }},
      {"setsockopt(SOL_SCTP, 9999)", ENOPROTOOPT, "sctp_setsockopt: default", [&] { return set_len(fd, 9999, 4); }},
      {"getsockopt(SOL_SCTP, 9999)", ENOPROTOOPT, "sctp_getsockopt: default", [&] { return get_len(fd, 9999, 4); }},
      {"setsockopt(SCTP_INITMSG, len - 1)", EINVAL, "sctp_setsockopt_initmsg: optlen != sizeof",
       [&] { return set_len(fd, SCTP_INITMSG, sizeof(sctp_initmsg) - 1); }},
      {"getsockopt(SCTP_INITMSG, len - 1)", EINVAL, "sctp_getsockopt_initmsg: len < sizeof",
       [&] { return get_len(fd, SCTP_INITMSG, sizeof(sctp_initmsg) - 1); }},
      {"getsockopt(SCTP_STATUS, len - 1)", EINVAL, "sctp_getsockopt_sctp_status: len < sizeof",
       [&] { return get_len(a.client, SCTP_STATUS, sizeof(sctp_status) - 1); }},
      {"setsockopt(SCTP_EVENTS, len + 1)", EINVAL, "sctp_setsockopt_events: optlen > sizeof",
       [&] { return set_len(fd, SCTP_EVENTS, sizeof(sctp_event_subscribe) + 1); }},
      {"setsockopt(SCTP_NODELAY, len 2)", EINVAL, "sctp_setsockopt_nodelay: optlen < sizeof(int)",
       [&] { return set_len(fd, SCTP_NODELAY, 2); }},
      {"getsockopt(SCTP_GET_ASSOC_NUMBER) on one-to-one", EOPNOTSUPP, "sctp_getsockopt_assoc_number: TCP style",
       [&] { return get_len(a.client, SCTP_GET_ASSOC_NUMBER, 4); }},
      {"setsockopt(SCTP_AUTOCLOSE) on one-to-one", EOPNOTSUPP, "sctp_setsockopt_autoclose: TCP style; TEST5",
       [&] { return set_len(fd, SCTP_AUTOCLOSE, 4); }},
      {"getsockopt(SCTP_AUTOCLOSE) on one-to-one", EOPNOTSUPP, "sctp_getsockopt_autoclose: TCP style; TEST9",
       [&] { return get_len(fd, SCTP_AUTOCLOSE, 4); }},
  });
  close(fd);
}

API_TEST(ErrnoShutdown, 20) {
  Pipe p;
  const int fresh = sctp_socket();
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  expect_errors({
      {"shutdown(-1)", EBADF, "sockfd_lookup; test_1_to_1_shutdown TEST1",
       [&] { return shutdown(kBadFd, SHUT_WR); }},
      {"shutdown(pipe)", ENOTSOCK, "sockfd_lookup; TEST2", [&] { return shutdown(p.fd[0], SHUT_WR); }},
      {"shutdown(unconnected one-to-one, SHUT_RD)", ENOTCONN, "inet_shutdown: TCP_CLOSE; TEST6",
       [&] { return shutdown(fresh, SHUT_RD); }},
      {"shutdown(connected, how 7)", EINVAL, "inet_shutdown: how & ~SHUTDOWN_MASK",
       [&] { return shutdown(a.client, 7); }},
  });
  close(fresh);
}

API_TEST(ErrnoLibsctpFunctions, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  sockaddr_in refused = loopback(closed_port());
  const int c1 = sctp_socket(), c2 = sctp_socket();
  sockaddr_in any = loopback(0);
  expect_errors({
      {"sctp_peeloff(one-to-one, 0)", EINVAL, "sctp_do_peeloff: !sctp_style(sk, UDP)",
       [&] { return sctp_peeloff(a.client, 0); }},
      {"sctp_peeloff(-1)", EBADF, "sockfd_lookup", [&] { return sctp_peeloff(kBadFd, 1); }},
      {"sctp_connectx(fd, addrs, 0, &id)", EINVAL, "libsctp / __sctp_setsockopt_connectx: addrs_size <= 0",
       [&] {
         sctp_assoc_t id = 0;
         return sctp_connectx(c1, sa(refused), 0, &id);
       }},
      {"sctp_connectx(port nobody listens on)", ECONNREFUSED, "INIT answered by ABORT",
       [&] {
         sctp_assoc_t id = 0;
         return sctp_connectx(c2, sa(refused), 1, &id);
       }},
      {"sctp_bindx(fd, addr, 1, flags 0)", EINVAL, "libsctp sctp_bindx: flags neither ADD nor REM",
       [&] { return sctp_bindx(c1, sa(any), 1, 0); }},
  });
  close(c1);
  close(c2);
}

API_TEST(ErrnoOneToMany, 20) {
  signal(SIGPIPE, SIG_IGN);
  const int server = many_socket(SOCK_NONBLOCK);
  const uint16_t port = listen_any(server);
  const int many = many_socket();
  sockaddr_in to = loopback(port);
  sctp_assoc_t id = 0;
  ASSERT_EQ(sctp_connectx(many, sa(to), 1, &id), 0) << std::strerror(errno);
  ASSERT_NE(id, 0);
  const char byte = 'x';
  const sctp_assoc_t unknown = id + 4242;
  expect_errors({
      {"accept(one-to-many)", EOPNOTSUPP, "sctp_accept: !sctp_style(sk, TCP)",
       [&] { return accept(server, nullptr, nullptr); }},
      {"sctp_send(unknown sinfo_assoc_id)", EPIPE, "sctp_sendmsg: sctp_id2assoc NULL",
       [&] { return send_len(many, &byte, 1, 0, 0, unknown); }},
      {"sctp_send(assoc, len 0)", EINVAL, "sctp_sendmsg_parse: msg_len 0 without SCTP_EOF/ABORT",
       [&] { return send_len(many, &byte, 0, 0, 0, id); }},
      {"sctp_send(assoc, stream 10 of 10)", EINVAL, "sctp_sendmsg_to_asoc: sinfo_stream >= outcnt",
       [&] { return send_len(many, &byte, 1, 10, 0, id); }},
      {"sctp_sendmsg(to, len 0)", EINVAL, "sctp_sendmsg_parse: msg_len 0",
       [&] { return long(sctp_sendmsg(many, &byte, 0, sa(to), sizeof to, 0, 0, 0, 0, 0)); }},
      {"recv(MSG_DONTWAIT) on a one-to-many socket with nothing queued", EAGAIN, "sctp_skb_recv_datagram: timeo 0",
       [&] { return recv_one(server, MSG_DONTWAIT); }},
      {"connect(peer of an established association)", EISCONN, "__sctp_connect: association ESTABLISHED",
       [&] { return connect(many, sa(to), sizeof to); }},
      {"getsockopt(SCTP_STATUS, unknown id)", EINVAL, "sctp_getsockopt_sctp_status: sctp_id2assoc NULL",
       [&] {
         sctp_status st{};
         st.sstat_assoc_id = unknown;
         socklen_t len = sizeof st;
         return getsockopt(many, SOL_SCTP, SCTP_STATUS, &st, &len);
       }},
      {"getsockopt(SCTP_GET_ASSOC_NUMBER, len 2)", EINVAL, "sctp_getsockopt_assoc_number: len < sizeof(u32)",
       [&] { return get_len(many, SCTP_GET_ASSOC_NUMBER, 2); }},
      {"sctp_peeloff(unknown id)", EINVAL, "sctp_do_peeloff: sctp_id2assoc NULL",
       [&] { return sctp_peeloff(many, unknown); }},
      {"sctp_getpaddrs(unknown id)", EINVAL, "sctp_getsockopt_peer_addrs: sctp_id2assoc NULL",
       [&] {
         sockaddr* addrs = nullptr;
         return sctp_getpaddrs(many, unknown, &addrs);
       }},
      {"sctp_getladdrs(unknown id)", EINVAL, "sctp_getsockopt_local_addrs: sctp_id2assoc NULL",
       [&] {
         sockaddr* addrs = nullptr;
         return sctp_getladdrs(many, unknown, &addrs);
       }},
      {"shutdown(one-to-many, how 7)", EINVAL, "inet_shutdown: how & ~SHUTDOWN_MASK",
       [&] { return shutdown(many, 7); }},
  });
  close(many);
  close(server);
}

// Cases where sctpmap once answered otherwise than Linux (listed when this
// file was added), each fixed to Linux's value.
API_TEST(ErrnoLinuxDetails, 20) {
  signal(SIGPIPE, SIG_IGN);
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  const int fresh = sctp_socket();
  const int many = many_socket();
  const uint16_t port = listen_any(many);
  sockaddr_in to = loopback(port);
  sctp_assoc_t id = 0;
  const int client = many_socket();
  ASSERT_EQ(sctp_connectx(client, sa(to), 1, &id), 0) << std::strerror(errno);
  sockaddr_in odd = loopback(1);
  odd.sin_family = 9090;
  sockaddr unspec{};
  unspec.sa_family = AF_UNSPEC;
  const char byte = 'x';
  expect_errors({
      {"socket(AF_INET, -1, IPPROTO_SCTP)", EINVAL, "__sock_create: type out of range",
       [] { return socket(AF_INET, -1, IPPROTO_SCTP); }},
      {"socket(AF_INET, SOCK_DGRAM, IPPROTO_SCTP)", EPROTONOSUPPORT, "inet_create: no SOCK_DGRAM protocol 132",
       [] { return socket(AF_INET, SOCK_DGRAM, IPPROTO_SCTP); }},
      {"bind(family 9090)", EINVAL, "sctp_do_bind: sctp_sockaddr_af NULL",
       [&] { return bind(fresh, sa(odd), sizeof odd); }},
      {"connect(family 9090)", EINVAL, "test_1_to_1_connect TEST5", [&] { return connect(fresh, sa(odd), sizeof odd); }},
      {"connect(AF_UNSPEC)", EOPNOTSUPP, "sctp_inet_connect: disconnect -> sctp_disconnect",
       [&] { return connect(fresh, &unspec, sizeof unspec); }},
      {"connect(listening one-to-one)", EISCONN, "test_1_to_1_connect TEST8",
       [&] { return connect(a.listener, sa(to), sizeof to); }},
      {"sctp_send(listening one-to-one)", EPIPE, "test_1_to_1_sendmsg TEST3",
       [&] { return send_len(a.listener, &byte, 1, 0); }},
      {"sctp_send(unconnected one-to-one)", EPIPE, "sctp_sendmsg: no association",
       [&] { return send_len(fresh, &byte, 1, 0); }},
      {"sctp_send(SCTP_EOF, len 0) on one-to-one", EINVAL, "sctp_sendmsg_parse: TCP style; test_1_to_1_sendmsg TEST8",
       [&] { return send_len(a.client, &byte, 0, 0, SCTP_EOF); }},
      {"sctp_send(SCTP_ABORT, len 0) on one-to-one", EINVAL, "sctp_sendmsg_parse: TCP style; TEST9",
       [&] { return send_len(a.client, &byte, 0, 0, SCTP_ABORT); }},
      {"sctp_send(SCTP_EOF, 1 byte) on one-to-many", EINVAL, "sctp_sendmsg_parse: SCTP_EOF with data",
       [&] { return send_len(client, &byte, 1, 0, SCTP_EOF, id); }},
      {"getsockopt(SCTP_EVENTS, len 0)", EINVAL, "sctp_getsockopt_events: len 0", [&] { return get_len(fresh, SCTP_EVENTS, 0); }},
  });
  ASSERT_EQ(send_len(a.client, &byte, 1, 0), 1) << "the association is untouched";
  EXPECT_EQ(receive(a.server).n, 1);
  for (int fd : {fresh, many, client}) close(fd);
}

}  // namespace
}  // namespace sctpmap::test
