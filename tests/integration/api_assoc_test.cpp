// SPDX-License-Identifier: MIT
// Association life cycle and socket identity in one preloaded process:
// graceful close and shutdown with their notifications, SO_LINGER {1,0}
// abort, SCTP_STATUS, SCTP_INITMSG stream negotiation and its EINVAL, what
// getsockopt/fstat say about an emulated fd, and that every non-SCTP fd
// (pipe, TCP, UDP, AF_UNIX) keeps its own kernel semantics under the preload.
#include <fcntl.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "api_util.hpp"
#include "harness.hpp"

namespace sctpmap::test {
namespace {

bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

#define EXPECT_EVENT(fd, prefix)                                       \
  do {                                                                 \
    const std::string got_ = next_event(fd);                           \
    EXPECT_TRUE(starts(got_, prefix)) << "expected " << prefix << ", got " << got_; \
  } while (0)

void all_events(int fd) { subscribe(fd, Events{true, true, true}); }

void set_initmsg(int fd, uint16_t out, uint16_t max_in) {
  sctp_initmsg init{};
  init.sinit_num_ostreams = out;
  init.sinit_max_instreams = max_in;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_INITMSG, &init, sizeof init), 0) << std::strerror(errno);
}

int get_int(int fd, int level, int name) {
  int v = -1;
  socklen_t len = sizeof v;
  EXPECT_EQ(getsockopt(fd, level, name, &v, &len), 0) << "getsockopt " << name << ": " << std::strerror(errno);
  return v;
}

API_TEST(GracefulCloseGivesShutdownEvent, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a, all_events));
  EXPECT_EVENT(a.server, "EVENT ASSOC_CHANGE COMM_UP");
  for (uint8_t i = 0; i < 3; ++i) ASSERT_EQ(send_message(a.client, pattern(10 + i, i)), 10 + i);
  ASSERT_EQ(close(a.client), 0);
  a.client = -1;
  // Data queued before close() is delivered, then the shutdown is reported.
  for (uint8_t i = 0; i < 3; ++i) {
    const Received r = receive(a.server);
    EXPECT_EQ(r.n, 10 + i) << "message " << int(i) << " before the shutdown";
    EXPECT_TRUE(r.data == pattern(10 + i, i));
  }
  EXPECT_EVENT(a.server, "EVENT SHUTDOWN_EVENT");
  EXPECT_EVENT(a.server, "EVENT ASSOC_CHANGE SHUTDOWN_COMP");
  EXPECT_EQ(next_event(a.server), "EOF") << "recv returns 0 once the association is closed";
}

API_TEST(ShutdownBothSidesSeeShutdownComp, 20) {
  signal(SIGPIPE, SIG_IGN);
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a, all_events, all_events));
  EXPECT_EVENT(a.client, "EVENT ASSOC_CHANGE COMM_UP");
  EXPECT_EVENT(a.server, "EVENT ASSOC_CHANGE COMM_UP");
  ASSERT_EQ(send_message(a.client, pattern(100)), 100);
  ASSERT_EQ(shutdown(a.client, SHUT_WR), 0) << std::strerror(errno);
  errno = 0;
  EXPECT_EQ(send_message(a.client, pattern(1)), -1) << "no sending after SHUT_WR";
  EXPECT_EQ(errno, EPIPE);
  const Received r = receive(a.server);
  EXPECT_EQ(r.n, 100);
  EXPECT_EVENT(a.server, "EVENT SHUTDOWN_EVENT");
  EXPECT_EVENT(a.server, "EVENT ASSOC_CHANGE SHUTDOWN_COMP");
  EXPECT_EQ(next_event(a.server), "EOF");
  EXPECT_EVENT(a.client, "EVENT ASSOC_CHANGE SHUTDOWN_COMP");
  // The side that sent SHUTDOWN is CLOSED now: ENOTCONN, not end of file
  // (Linux sctp_recvmsg; test_1_to_1_recvmsg TEST8).
  EXPECT_EQ(next_event(a.client), "RECV_ERROR ENOTCONN");
}

API_TEST(LingerZeroCloseAborts, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a, all_events));
  EXPECT_EVENT(a.server, "EVENT ASSOC_CHANGE COMM_UP");
  ASSERT_EQ(send_message(a.client, pattern(64)), 64);
  EXPECT_EQ(receive(a.server).n, 64);
  linger lg{1, 0};
  ASSERT_EQ(setsockopt(a.client, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0) << std::strerror(errno);
  ASSERT_EQ(close(a.client), 0);
  a.client = -1;
  // ABORT: the peer learns at once, as a lost association, then ECONNRESET.
  const std::string ev = next_event(a.server, 2000);
  EXPECT_TRUE(starts(ev, "EVENT ASSOC_CHANGE COMM_LOST")) << ev;
  EXPECT_EQ(next_event(a.server), "RECV_ERROR ECONNRESET");
}

// A fork()ed child must not keep the parent's TCP connections alive: if it
// held copies of the engine's fds, the parent's abort (RST on close) would
// not reach the peer until the child exited.
API_TEST(ForkedChildDoesNotHoldParentsConnections, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a, all_events));
  EXPECT_EVENT(a.server, "EVENT ASSOC_CHANGE COMM_UP");
  const pid_t child = fork();
  ASSERT_GE(child, 0) << std::strerror(errno);
  if (child == 0) {
    sleep(5);  // outlives the parent's checks below
    _exit(0);
  }
  ASSERT_EQ(send_message(a.client, pattern(64)), 64);
  EXPECT_EQ(receive(a.server).n, 64) << "the parent's association still carries data after fork()";
  linger lg{1, 0};
  ASSERT_EQ(setsockopt(a.client, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0) << std::strerror(errno);
  ASSERT_EQ(close(a.client), 0);
  a.client = -1;
  const std::string ev = next_event(a.server, 2000);
  EXPECT_TRUE(starts(ev, "EVENT ASSOC_CHANGE COMM_LOST")) << "abort did not reach the peer while the child lives: " << ev;
  kill(child, SIGKILL);
  int status = 0;
  waitpid(child, &status, 0);
}

// The engine waits in the kernel with the next timer as its timeout: an
// established, idle association costs no CPU (no busy polling).
API_TEST(IdleEngineUsesNoCpu, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  ASSERT_EQ(send_message(a.client, pattern(16)), 16);
  ASSERT_EQ(receive(a.server).n, 16);
  usleep(100 * 1000);  // let the ACK settle
  rusage before{}, after{};
  getrusage(RUSAGE_SELF, &before);
  usleep(1000 * 1000);
  getrusage(RUSAGE_SELF, &after);
  auto us = [](const rusage& r) {
    return (r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1000000LL + r.ru_utime.tv_usec + r.ru_stime.tv_usec;
  };
  EXPECT_LT(us(after) - us(before), 20000) << "CPU microseconds used in 1 s of idleness";
}

API_TEST(StatusEstablishedAndStreams, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(
      a, [](int fd) { set_initmsg(fd, 6, 7); }, [](int fd) { set_initmsg(fd, 7, 6); }));
  // Exchange one message so both ends are past any set-up.
  ASSERT_EQ(send_message(a.client, pattern(8)), 8);
  ASSERT_EQ(receive(a.server).n, 8);

  sctp_status st{};
  socklen_t len = sizeof st;
  ASSERT_EQ(getsockopt(a.client, SOL_SCTP, SCTP_STATUS, &st, &len), 0) << std::strerror(errno);
  EXPECT_EQ(st.sstat_state, SCTP_ESTABLISHED);
  EXPECT_EQ(st.sstat_outstrms, 7) << "min(client out 7, server max_in 7)";
  EXPECT_EQ(st.sstat_instrms, 6) << "min(server out 6, client max_in 6)";
  const auto* primary = reinterpret_cast<const sockaddr_in*>(&st.sstat_primary.spinfo_address);
  EXPECT_EQ(primary->sin_family, AF_INET);
  EXPECT_EQ(ntohs(primary->sin_port), a.port) << "the client's primary path is the server";
  EXPECT_EQ(primary->sin_addr.s_addr, htonl(INADDR_LOOPBACK));

  // The same through libsctp's sctp_opt_info, on the accepted socket.
  sctp_status ss{};
  len = sizeof ss;
  ASSERT_EQ(sctp_opt_info(a.server, 0, SCTP_STATUS, &ss, &len), 0) << std::strerror(errno);
  EXPECT_EQ(ss.sstat_state, SCTP_ESTABLISHED);
  EXPECT_EQ(ss.sstat_outstrms, 6);
  EXPECT_EQ(ss.sstat_instrms, 7);
}

API_TEST(InitmsgNegotiatesStreams, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(
      a,
      [](int fd) {
        all_events(fd);
        set_initmsg(fd, 0, 3);  // 0: keep the default outbound count
      },
      [](int fd) {
        all_events(fd);
        set_initmsg(fd, 5, 0);
      }));
  const std::string client_up = next_event(a.client);
  EXPECT_TRUE(starts(client_up, "EVENT ASSOC_CHANGE COMM_UP")) << client_up;
  EXPECT_EQ(field_num(client_up, "out"), 3) << "5 requested, peer accepts 3: " << client_up;
  const std::string server_up = next_event(a.server);
  EXPECT_TRUE(starts(server_up, "EVENT ASSOC_CHANGE COMM_UP")) << server_up;
  EXPECT_EQ(field_num(server_up, "in"), 3) << server_up;

  for (uint16_t bad : {uint16_t(3), uint16_t(4), uint16_t(65535)}) {
    errno = 0;
    EXPECT_EQ(send_message(a.client, pattern(10), bad), -1) << "stream " << bad;
    EXPECT_EQ(errno, EINVAL) << "stream " << bad;
  }
  ASSERT_EQ(send_message(a.client, pattern(10), 2, 99), 10) << std::strerror(errno);
  const Received r = receive(a.server);
  ASSERT_EQ(r.n, 10);
  EXPECT_TRUE(r.has_sinfo);
  EXPECT_EQ(r.sinfo.sinfo_stream, 2);
  EXPECT_EQ(r.sinfo.sinfo_ppid, 99u);
}

API_TEST(SocketIdentity, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  for (int fd : {a.listener, a.client, a.server}) {
    struct stat sb{};
    ASSERT_EQ(fstat(fd, &sb), 0);
    EXPECT_TRUE(S_ISSOCK(sb.st_mode));
    EXPECT_EQ(get_int(fd, SOL_SOCKET, SO_TYPE), SOCK_STREAM);
    EXPECT_EQ(get_int(fd, SOL_SOCKET, SO_PROTOCOL), IPPROTO_SCTP);
    EXPECT_EQ(get_int(fd, SOL_SOCKET, SO_DOMAIN), AF_INET);
    char junk[64];
    socklen_t len = sizeof junk;
    errno = 0;
    EXPECT_EQ(getsockopt(fd, SOL_SCTP, 0x7fff, junk, &len), -1);
    EXPECT_EQ(errno, ENOPROTOOPT) << "unknown SOL_SCTP option";
  }
  EXPECT_EQ(get_int(a.listener, SOL_SOCKET, SO_ACCEPTCONN), 1);

  // SCTP port P is TCP port P: both ends agree on each other's ports.
  sockaddr_in local{}, peer{};
  socklen_t len = sizeof local;
  ASSERT_EQ(getsockname(a.client, reinterpret_cast<sockaddr*>(&local), &len), 0);
  len = sizeof peer;
  ASSERT_EQ(getpeername(a.server, reinterpret_cast<sockaddr*>(&peer), &len), 0);
  EXPECT_NE(ntohs(local.sin_port), 0);
  EXPECT_EQ(local.sin_port, peer.sin_port);
  EXPECT_EQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));

  const int cloexec = sctp_socket(SOCK_CLOEXEC);
  EXPECT_TRUE(fcntl(cloexec, F_GETFD) & FD_CLOEXEC);
  close(cloexec);
  const int v6 = socket(AF_INET6, SOCK_STREAM, IPPROTO_SCTP);
  ASSERT_GE(v6, 0) << std::strerror(errno);
  EXPECT_EQ(get_int(v6, SOL_SOCKET, SO_DOMAIN), AF_INET6);
  close(v6);

  // A dup'd descriptor is the same socket.
  const int copy = dup(a.client);
  ASSERT_GE(copy, 0);
  ASSERT_EQ(send_message(copy, pattern(33)), 33) << std::strerror(errno);
  EXPECT_EQ(receive(a.server).n, 33);
  close(copy);
  ASSERT_EQ(send_message(a.client, pattern(34)), 34) << "closing a dup must not close the socket";
  EXPECT_EQ(receive(a.server).n, 34);
}

void tcp_checks() {
  const int listener = socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(listener, 0);
  sockaddr_in sa = loopback(0);
  ASSERT_EQ(bind(listener, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  ASSERT_EQ(listen(listener, 4), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(getsockname(listener, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const int client = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
  ASSERT_EQ(connect(client, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
  const int server = accept_within(listener, 2000);
  ASSERT_GE(server, 0);
  EXPECT_EQ(get_int(client, SOL_SOCKET, SO_PROTOCOL), IPPROTO_TCP);
  const int one = 1;
  EXPECT_EQ(setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one), 0);
  EXPECT_EQ(get_int(client, IPPROTO_TCP, TCP_NODELAY), 1);
  // SCTP options on TCP: whatever this kernel says (the raw system call,
  // which no preload can intercept, is the reference).
  sctp_status st{};
  len = sizeof st;
  errno = 0;
  const int via_libc = getsockopt(client, SOL_SCTP, SCTP_STATUS, &st, &len);
  const int libc_errno = errno;
  len = sizeof st;
  const long via_kernel = syscall(SYS_getsockopt, client, SOL_SCTP, SCTP_STATUS, &st, &len);
  EXPECT_EQ(via_libc, -1);
  EXPECT_EQ(via_libc, via_kernel);
  EXPECT_EQ(libc_errno, errno) << std::strerror(libc_errno) << " vs " << std::strerror(errno);
  // A byte stream: two sends arrive as one read, no boundaries added.
  ASSERT_EQ(send(client, "ab", 2, 0), 2);
  ASSERT_EQ(send(client, "cd", 2, 0), 2);
  usleep(100 * 1000);
  char buf[16] = {};
  EXPECT_EQ(recv(server, buf, sizeof buf, 0), 4);
  EXPECT_STREQ(buf, "abcd");
  ASSERT_EQ(shutdown(client, SHUT_WR), 0);  // TCP half-close
  EXPECT_EQ(recv(server, buf, sizeof buf, 0), 0);
  EXPECT_EQ(send(server, "x", 1, 0), 1) << "the other direction stays open";
  EXPECT_EQ(recv(client, buf, sizeof buf, 0), 1);
  close(server);
  close(client);
  close(listener);
}

void udp_checks() {
  const int a = socket(AF_INET, SOCK_DGRAM, 0), b = socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP);
  ASSERT_GE(a, 0);
  ASSERT_GE(b, 0);
  sockaddr_in sa = loopback(0);
  ASSERT_EQ(bind(b, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  ASSERT_EQ(getsockname(b, reinterpret_cast<sockaddr*>(&sa), &len), 0);
  const auto msg = pattern(1000);
  ASSERT_EQ(sendto(a, msg.data(), msg.size(), 0, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 1000);
  ASSERT_TRUE(readable_within(b, 2000));
  char small[10];
  // Linux UDP: MSG_TRUNC in flags returns the real datagram length.
  EXPECT_EQ(recv(b, small, sizeof small, MSG_TRUNC), 1000);
  EXPECT_EQ(get_int(b, SOL_SOCKET, SO_TYPE), SOCK_DGRAM);
  close(a);
  close(b);
}

void unix_checks() {
  int sp[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
  ASSERT_EQ(send(sp[0], "first", 5, 0), 5);
  ASSERT_EQ(send(sp[0], "second", 6, 0), 6);
  char buf[3];
  msghdr msg{};
  iovec iov{buf, sizeof buf};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  EXPECT_EQ(recvmsg(sp[1], &msg, 0), 3);
  EXPECT_TRUE(msg.msg_flags & MSG_TRUNC) << "AF_UNIX seqpacket truncates; not SCTP semantics";
  char big[16] = {};
  EXPECT_EQ(recv(sp[1], big, sizeof big, 0), 6) << "the rest of \"first\" is discarded";
  EXPECT_STREQ(big, "second");
  EXPECT_EQ(get_int(sp[0], SOL_SOCKET, SO_TYPE), SOCK_SEQPACKET);
  close(sp[0]);
  close(sp[1]);
}

API_TEST(NonSctpFdsUntouched, 30) {
  // An fd number an SCTP socket used, reused by a pipe, must be a pipe.
  // The library may hold or release fds of its own meanwhile, so take pipes
  // until one lands on the old number.
  const int gone = sctp_socket();
  ASSERT_EQ(close(gone), 0);
  int p[2];
  std::vector<int> spare;
  for (int i = 0; i < 16; ++i) {
    ASSERT_EQ(pipe(p), 0);
    if (p[0] == gone || p[1] == gone) break;
    spare.insert(spare.end(), {p[0], p[1]});
  }
  for (int fd : spare) close(fd);
  ASSERT_EQ(write(p[1], "abc", 3), 3);
  pollfd pf{p[0], POLLIN, 0};
  EXPECT_EQ(poll(&pf, 1, 1000), 1);
  char buf[8] = {};
  EXPECT_EQ(read(p[0], buf, sizeof buf), 3);
  EXPECT_STREQ(buf, "abc");
  struct stat sb{};
  ASSERT_EQ(fstat(p[0], &sb), 0);
  EXPECT_TRUE(S_ISFIFO(sb.st_mode));
  errno = 0;
  EXPECT_EQ(send(p[1], "x", 1, 0), -1);
  EXPECT_EQ(errno, ENOTSOCK) << "a pipe is not a socket";
  close(p[0]);
  close(p[1]);
  ASSERT_NO_FATAL_FAILURE(tcp_checks());
  ASSERT_NO_FATAL_FAILURE(udp_checks());
  ASSERT_NO_FATAL_FAILURE(unix_checks());
}

// Options Linux SCTP accepts that mean little over one TCP connection: Linux's
// defaults, Linux's checks, values read back, and SCTP_CONTEXT tagging what
// the socket receives (RFC 6458 8.1.19).
API_TEST(TunablesAcceptedWithLinuxDefaultsAndChecks, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  const int fd = a.server;
  EXPECT_EQ(get_int(fd, SOL_SCTP, SCTP_I_WANT_MAPPED_V4_ADDR), 1);
  EXPECT_EQ(get_int(fd, SOL_SCTP, SCTP_DISABLE_FRAGMENTS), 0);
  EXPECT_EQ(get_int(fd, SOL_SCTP, SCTP_FRAGMENT_INTERLEAVE), 0);
  EXPECT_EQ(get_int(fd, SOL_SCTP, SCTP_RECVNXTINFO), 0);
  EXPECT_EQ(get_int(fd, SOL_SCTP, SCTP_PARTIAL_DELIVERY_POINT), 0);
  sctp_sack_info si{};
  socklen_t len = sizeof si;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_DELAYED_SACK, &si, &len), 0) << std::strerror(errno);
  EXPECT_EQ(si.sack_delay, 200u);
  EXPECT_EQ(si.sack_freq, 2u);
  sctp_assoc_value av{};
  len = sizeof av;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_MAX_BURST, &av, &len), 0) << std::strerror(errno);
  EXPECT_EQ(av.assoc_value, 4u);

  const int one = 1, zero = 0;
  for (int name : {SCTP_DISABLE_FRAGMENTS, SCTP_FRAGMENT_INTERLEAVE, SCTP_RECVNXTINFO}) {
    ASSERT_EQ(setsockopt(fd, SOL_SCTP, name, &one, sizeof one), 0) << name << ": " << std::strerror(errno);
    EXPECT_EQ(get_int(fd, SOL_SCTP, name), 1) << name;
  }
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_I_WANT_MAPPED_V4_ADDR, &zero, sizeof zero), 0);
  EXPECT_EQ(get_int(fd, SOL_SCTP, SCTP_I_WANT_MAPPED_V4_ADDR), 0);
  si = {0, 100, 1};
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_DELAYED_SACK, &si, sizeof si), 0) << std::strerror(errno);
  si = {0, 501, 2};
  errno = 0;
  EXPECT_EQ(setsockopt(fd, SOL_SCTP, SCTP_DELAYED_SACK, &si, sizeof si), -1) << "more than 500 ms";
  EXPECT_EQ(errno, EINVAL);
  len = sizeof si;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_DELAYED_SACK, &si, &len), 0);
  EXPECT_EQ(si.sack_delay, 100u);
  EXPECT_EQ(si.sack_freq, 1u);
  const int burst = 8;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_MAX_BURST, &burst, sizeof burst), 0) << "the int form";
  len = sizeof av;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_MAX_BURST, &av, &len), 0);
  EXPECT_EQ(av.assoc_value, 8u);
  uint32_t pd = 1u << 30;
  errno = 0;
  EXPECT_EQ(setsockopt(fd, SOL_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &pd, sizeof pd), -1) << "beyond half SO_RCVBUF";
  EXPECT_EQ(errno, EINVAL);
  pd = 1000;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &pd, sizeof pd), 0);
  EXPECT_EQ(get_int(fd, SOL_SCTP, SCTP_PARTIAL_DELIVERY_POINT), 1000);
  sctp_setadaptation ad{0x1234};
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_ADAPTATION_LAYER, &ad, sizeof ad), 0);
  ad = {};
  len = sizeof ad;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_ADAPTATION_LAYER, &ad, &len), 0);
  EXPECT_EQ(ad.ssb_adaptation_ind, 0x1234u);
  errno = 0;
  EXPECT_EQ(setsockopt(fd, SOL_SCTP, SCTP_ADAPTATION_LAYER, &ad, 2), -1) << "short buffer";
  EXPECT_EQ(errno, EINVAL);

  av = {0, 0xC0FFEE};
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_CONTEXT, &av, sizeof av), 0) << std::strerror(errno);
  ASSERT_EQ(send_message(a.client, pattern(10)), 10);
  const Received r = receive(fd);
  ASSERT_EQ(r.n, 10);
  ASSERT_TRUE(r.has_sinfo);
  EXPECT_EQ(r.sinfo.sinfo_context, 0xC0FFEEu) << "SCTP_CONTEXT tags received messages";
}

// The association's one path: SCTP_GET_PEER_ADDR_INFO and SCTP_STATUS report
// it ACTIVE with TCP's congestion window, RTT and MTU; SCTP_PRIMARY_ADDR names
// it and accepts it, any other address is EINVAL (no such transport).
API_TEST(PeerAddrInfoAndPrimary, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  ASSERT_EQ(send_message(a.client, pattern(100)), 100);
  ASSERT_EQ(receive(a.server).n, 100);
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  ASSERT_EQ(getpeername(a.client, reinterpret_cast<sockaddr*>(&peer), &len), 0);
  sctp_paddrinfo pi{};
  std::memcpy(&pi.spinfo_address, &peer, sizeof peer);
  len = sizeof pi;
  ASSERT_EQ(getsockopt(a.client, SOL_SCTP, SCTP_GET_PEER_ADDR_INFO, &pi, &len), 0) << std::strerror(errno);
  EXPECT_EQ(pi.spinfo_state, SCTP_ACTIVE);
  EXPECT_GT(pi.spinfo_cwnd, 0u);
  EXPECT_GT(pi.spinfo_mtu, 0u);
  EXPECT_GE(pi.spinfo_rto, 1000u) << "RTO.Min is 1 s";
  sctp_paddrinfo other{};
  sockaddr_in elsewhere = loopback(1);
  std::memcpy(&other.spinfo_address, &elsewhere, sizeof elsewhere);
  len = sizeof other;
  errno = 0;
  EXPECT_EQ(getsockopt(a.client, SOL_SCTP, SCTP_GET_PEER_ADDR_INFO, &other, &len), -1);
  EXPECT_EQ(errno, EINVAL);

  sctp_status st{};
  len = sizeof st;
  ASSERT_EQ(getsockopt(a.client, SOL_SCTP, SCTP_STATUS, &st, &len), 0);
  EXPECT_EQ(st.sstat_primary.spinfo_state, SCTP_ACTIVE);
  EXPECT_GT(st.sstat_primary.spinfo_cwnd, 0u);

  sctp_prim prim{};
  len = sizeof prim;
  ASSERT_EQ(getsockopt(a.client, SOL_SCTP, SCTP_PRIMARY_ADDR, &prim, &len), 0) << std::strerror(errno);
  EXPECT_EQ(reinterpret_cast<sockaddr_in*>(&prim.ssp_addr)->sin_port, peer.sin_port);
  ASSERT_EQ(setsockopt(a.client, SOL_SCTP, SCTP_PRIMARY_ADDR, &prim, sizeof prim), 0) << std::strerror(errno);
  std::memcpy(&prim.ssp_addr, &elsewhere, sizeof elsewhere);
  errno = 0;
  EXPECT_EQ(setsockopt(a.client, SOL_SCTP, SCTP_PRIMARY_ADDR, &prim, sizeof prim), -1);
  EXPECT_EQ(errno, EINVAL);
}

// A wildcard-bound endpoint's local addresses are the host's, with the bound
// port (Linux, sctp_copy_laddrs), on one-to-one sockets too: RSPLIB's
// TCP-like pool elements register them and refuse a wildcard.
API_TEST(WildcardLocalAddressesAreTheHosts, 20) {
  const int fd = sctp_socket();
  sockaddr_in any{};
  any.sin_family = AF_INET;
  any.sin_addr.s_addr = htonl(INADDR_ANY);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&any), sizeof any), 0);
  socklen_t len = sizeof any;
  ASSERT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&any), &len), 0);
  sockaddr* addrs = nullptr;
  const int n = sctp_getladdrs(fd, 0, &addrs);
  ASSERT_GE(n, 1) << std::strerror(errno);
  bool loopback_seen = false;
  for (int i = 0; i < n; ++i) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(addrs) + i;
    ASSERT_EQ(a->sin_family, AF_INET);
    EXPECT_NE(a->sin_addr.s_addr, htonl(INADDR_ANY)) << "address " << i << " is the wildcard";
    EXPECT_EQ(a->sin_port, any.sin_port) << "address " << i;
    loopback_seen |= a->sin_addr.s_addr == htonl(INADDR_LOOPBACK);
  }
  EXPECT_TRUE(loopback_seen);
  sctp_freeladdrs(addrs);
  close(fd);
}

}  // namespace
}  // namespace sctpmap::test
