// SPDX-License-Identifier: MIT
// In-process API tests under the preload. Each API_TEST runs its body in a
// fresh child process: the test binary re-executes itself with
// LD_PRELOAD=$SCTPMAP_LIB and --gtest_filter naming just that test, so a
// crash or hang in the library fails one test (with the child's output)
// instead of taking the whole binary down, and every test has a deadline.
// The parent itself never loads the library.
//
// The helpers below are what an SCTP program would write; every wait is
// bounded by a timeout so a missing event fails rather than hangs.
#pragma once

#include <netinet/in.h>
#include <netinet/sctp.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace sctpmap::test {

bool in_api_child();
void run_in_preloaded_child(int seconds);

#define API_TEST(name, seconds)                       \
  static void api_body_##name();                      \
  TEST(Api, name) {                                   \
    if (!::sctpmap::test::in_api_child()) {           \
      ::sctpmap::test::run_in_preloaded_child(seconds); \
      return;                                         \
    }                                                 \
    api_body_##name();                                \
  }                                                   \
  static void api_body_##name()

// An SCTP one-to-one socket, AF_INET; type_flags e.g. SOCK_NONBLOCK.
int sctp_socket(int type_flags = 0);
// An SCTP one-to-many socket (SOCK_SEQPACKET), AF_INET.
int many_socket(int type_flags = 0);
sockaddr_in loopback(uint16_t port);
// A TCP port nothing listens on: a plain TCP socket bound to port 0, closed.
uint16_t closed_port();
// Binds to 127.0.0.1:0 and listens; returns the port.
uint16_t listen_any(int fd);
int accept_within(int listener, int timeout_ms);
// SCTP_GET_ASSOC_ID_LIST of a one-to-many socket (ids grow: the newest last).
std::vector<sctp_assoc_t> assoc_ids(int fd);
bool readable_within(int fd, int timeout_ms);

struct Events {
  bool association = false, shutdown = false, send_failure = false;
};
void subscribe(int fd, Events events);  // data_io is always on

// A connected pair: client connected to listener, server accepted. Both
// sockets have sctp_data_io_event on.
struct Assoc {
  int listener = -1, client = -1, server = -1;
  uint16_t port = 0;
  Assoc() = default;
  Assoc(const Assoc&) = delete;
  Assoc& operator=(const Assoc&) = delete;
  ~Assoc();
};
// Options on the sockets before listen/connect go through the callbacks.
void make_assoc(Assoc& a, void (*setup_listener)(int) = nullptr, void (*setup_client)(int) = nullptr);

struct Received {
  ssize_t n = -1;  // -1: error (err), -2: nothing within the timeout
  int err = 0;
  int flags = 0;
  bool has_sinfo = false;
  sctp_sndrcvinfo sinfo{};
  std::vector<uint8_t> data;
  bool notification() const { return n > 0 && (flags & MSG_NOTIFICATION); }
};
// One recvmsg of at most `len` bytes after waiting up to timeout_ms for
// readability; extra is passed as recvmsg flags (MSG_PEEK ...).
Received receive(int fd, size_t len = 70000, int timeout_ms = 3000, int extra = 0);

// sctp_sendmsg of `data` on stream/ppid; returns its result, errno kept.
int send_message(int fd, const std::vector<uint8_t>& data, uint16_t stream = 0, uint32_t ppid = 0,
                 uint32_t flags = 0);
std::vector<uint8_t> pattern(size_t n, uint8_t seed = 1);

// The next notification as peer_events prints it ("EVENT ASSOC_CHANGE
// COMM_UP error=0 in=10 out=10"), skipping nothing: data or a timeout gives
// a line saying so, so the assertion shows what came instead.
std::string next_event(int fd, int timeout_ms = 3000);

}  // namespace sctpmap::test
