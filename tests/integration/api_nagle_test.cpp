// SPDX-License-Identifier: MIT
// SCTP_NODELAY, as Linux SCTP: off by default, so a small message sent while
// earlier ones await their acknowledgement waits for it and goes out with
// the others (Nagle); on, every message goes at once. Messages here are
// spaced 100 us apart, too far apart to be a stream, so only Nagle can
// gather them. What proves it is the sender's TCP connection's count of
// data segments (tcpi_data_segs_out, read with raw system calls past the
// preload); the receiver, another process, checks that every message
// still arrives whole and in order.
#include <arpa/inet.h>
#include <dirent.h>
#include <linux/tcp.h>  // tcpi_data_segs_out, which glibc's tcp_info lacks
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <algorithm>

#include "api_util.hpp"

namespace sctpmap::test {
namespace {

constexpr int kCount = 300;
constexpr size_t kSize = 100;
constexpr auto kGap = std::chrono::microseconds(40);  // more than a stream's (Conn::send_direct)

// Data segments sent so far by this process's TCP connections to `port`:
// the sender's side of the association (the engine's socket, which the
// application never sees).
uint64_t data_segments_to(uint16_t port) {
  uint64_t total = 0;
  DIR* d = opendir("/proc/self/fd");
  if (d == nullptr) return 0;
  while (dirent* e = readdir(d)) {
    const int fd = std::atoi(e->d_name);
    if (fd <= 2) continue;
    int proto = 0;
    socklen_t len = sizeof proto;
    if (syscall(SYS_getsockopt, fd, SOL_SOCKET, SO_PROTOCOL, &proto, &len) != 0 || proto != IPPROTO_TCP) continue;
    sockaddr_in peer{};
    len = sizeof peer;
    if (syscall(SYS_getpeername, fd, &peer, &len) != 0 || peer.sin_family != AF_INET || ntohs(peer.sin_port) != port)
      continue;
    tcp_info ti{};
    len = sizeof ti;
    if (syscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == 0) total += ti.tcpi_data_segs_out;
  }
  closedir(d);
  return total;
}

void set_nodelay(int fd) {
  const int one = 1;
  ASSERT_EQ(setsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &one, sizeof one), 0);
}

constexpr size_t kVerdict = 128;

// The receiver, in a process of its own as a real peer is: listens and
// tells the port through `out`, then takes nothing until `in` says the
// sender is done. Until then it ACKs nothing (an ACK says the application
// took the message), so every gathering is Nagle's bound at work, not the
// luck of a late ACK. Then it takes kCount messages, checks each, writes its
// verdict (kVerdict bytes, empty when all was well) and waits for `in` to
// close: its association must outlive the sender's count.
[[noreturn]] void receiver(int in, int out) {
  const int listener = sctp_socket();
  subscribe(listener, Events{});
  const uint16_t port = listen_any(listener);
  (void)!write(out, &port, sizeof port);
  char verdict[kVerdict] = {};
  std::string failure;
  const int fd = accept_within(listener, 5000);
  char go;
  if (fd < 0) failure = "no association";
  if (read(in, &go, 1) != 1) failure = "no word from the sender";
  for (int i = 0; i < kCount && failure.empty(); ++i) {
    Received r = receive(fd, 4096, 5000);
    if (r.n != static_cast<ssize_t>(kSize) || r.notification() || r.data != pattern(kSize, uint8_t(i)) ||
        ntohl(r.sinfo.sinfo_ppid) != static_cast<uint32_t>(i))
      failure = "message " + std::to_string(i) + ": got " + std::to_string(r.n) + " bytes, ppid " +
                std::to_string(ntohl(r.sinfo.sinfo_ppid));
  }
  std::memcpy(verdict, failure.data(), std::min(failure.size(), kVerdict - 1));
  (void)!write(out, verdict, sizeof verdict);
  (void)!read(in, &go, 1);
  _exit(0);
}

enum class Sender { kOneToOne, kOneToOneNodelay, kOneToMany };

// Sends kCount messages, kGap apart, to a receiver process and returns the
// data segments the sender's TCP connection needed.
uint64_t spaced_send(Sender kind) {
  int up[2], down[2];
  EXPECT_EQ(pipe(up), 0);
  EXPECT_EQ(pipe(down), 0);
  const pid_t child = fork();
  if (child == 0) {
    close(up[0]);
    close(down[1]);
    receiver(down[0], up[1]);
  }
  close(up[1]);
  close(down[0]);
  uint16_t port = 0;
  EXPECT_EQ(read(up[0], &port, sizeof port), static_cast<ssize_t>(sizeof port));
  const int fd = kind == Sender::kOneToMany ? many_socket() : sctp_socket();
  if (kind == Sender::kOneToOneNodelay) set_nodelay(fd);
  sockaddr_in sa = loopback(port);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
  const sctp_assoc_t id = kind == Sender::kOneToMany ? assoc_ids(fd).at(0) : 0;
  const uint64_t before = data_segments_to(port);
  auto next = std::chrono::steady_clock::now();
  for (int i = 0; i < kCount; ++i) {
    while (std::chrono::steady_clock::now() < next) {
    }  // a spin, not a sleep: the gap must not grow with the scheduler's slack
    const auto data = pattern(kSize, uint8_t(i));
    sctp_sndrcvinfo info{};
    info.sinfo_ppid = htonl(static_cast<uint32_t>(i));
    info.sinfo_assoc_id = id;
    EXPECT_EQ(sctp_send(fd, data.data(), data.size(), &info, 0), static_cast<int>(kSize)) << std::strerror(errno);
    next = std::chrono::steady_clock::now() + kGap;
  }
  EXPECT_EQ(write(down[1], "g", 1), 1);
  char verdict[kVerdict] = {};
  EXPECT_EQ(read(up[0], verdict, sizeof verdict), static_cast<ssize_t>(kVerdict));  // all received: all written
  EXPECT_STREQ(verdict, "");
  const uint64_t segments = data_segments_to(port) - before;
  close(down[1]);
  int status = 0;
  waitpid(child, &status, 0);
  close(up[0]);
  close(fd);
  return segments;
}

}  // namespace

API_TEST(NagleGathersSpacedMessagesByDefault, 30) {
  const int fd = sctp_socket();
  int off = 1;
  socklen_t len = sizeof off;
  ASSERT_EQ(getsockopt(fd, IPPROTO_SCTP, SCTP_NODELAY, &off, &len), 0);
  EXPECT_EQ(off, 0);  // Linux's default
  close(fd);
  const uint64_t segments = spaced_send(Sender::kOneToOne);
  std::fprintf(stderr, "Nagle: %d messages in %llu data segments\n", kCount, static_cast<unsigned long long>(segments));
  EXPECT_LT(segments, kCount / 3u);
  EXPECT_GT(segments, 0u);
}

API_TEST(NodelaySendsEachMessageAtOnce, 30) {
  const uint64_t segments = spaced_send(Sender::kOneToOneNodelay);
  std::fprintf(stderr, "SCTP_NODELAY: %d messages in %llu data segments\n", kCount,
               static_cast<unsigned long long>(segments));
  EXPECT_GE(segments, kCount / 2u);  // each its own, but for the few that find TCP or the engine busy
}

API_TEST(NagleOnOneToManySender, 30) {
  const uint64_t segments = spaced_send(Sender::kOneToMany);
  std::fprintf(stderr, "one-to-many Nagle: %d messages in %llu data segments\n", kCount,
               static_cast<unsigned long long>(segments));
  EXPECT_LT(segments, kCount / 3u);
}

}  // namespace sctpmap::test
