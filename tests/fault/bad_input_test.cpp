// SPDX-License-Identifier: MIT
// Malformed input from the network ends that one association, never the
// process: a raw TCP client in this (not preloaded) process connects to a
// preloaded sctp_peer server and sends one malformed case per connection,
// while a well-behaved preloaded client keeps exchanging messages with the
// same server the whole time. For every case the server logs one
// "protocol error" line, reports COMM_LOST on the association if the
// application had accepted it, and the raw client sees its connection reset
// or closed; the listener keeps accepting and the good association keeps
// making progress and ends verified.
//
// Wire format (draft-ietf-rserpool-tcpmapping, network byte order): chunk =
// type(8) flags(8) length(16) value, padded to 4. INIT = 01 00 00 04. DATA =
// 00 flags len | TSN(32) | SID(16) SSN(16) | PPID(32) | payload. ACK = 03 00
// 00 08 | TSN. HEARTBEAT = 04 00 len | param type 0001 | param len | info.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <string>
#include <vector>

#include "peer_test_util.hpp"

namespace sctpmap::test {
namespace {

struct BadCase {
  const char* name;
  const char* prefix;  // sent first (a valid INIT, or nothing)
  const char* bad;     // then this
  bool accepted;       // the prefix sets up an association the server accepts
};

constexpr const char* kInit = "01 00 00 04";
const BadCase kCases[] = {
    {"length_below_4", kInit, "00 00 00 02", true},
    {"init_length_8", "", "01 00 00 08 00 00 00 00", false},
    {"reserved_type_2", kInit, "02 00 00 04", true},
    {"reserved_type_6", kInit, "06 00 00 04", true},
    {"reserved_type_0x40", kInit, "40 00 00 04", true},
    {"data_before_init", "", "00 00 00 14 00000000 0000 0000 00000000 61626364", false},
    {"second_init", kInit, "01 00 00 04", true},
    {"data_shorter_than_fields", kInit, "00 00 00 0C 00000000 0000 0000", true},
    {"data_without_payload", kInit, "00 00 00 10 00000000 0000 0000 00000000", true},
    {"ack_length_12", kInit, "03 00 00 0C 00000000 00000000", true},
    {"ack_nothing_outstanding", kInit, "03 00 00 08 00000000", true},
    {"heartbeat_without_parameter", kInit, "04 00 00 04", true},
    {"heartbeat_param_overruns_chunk", kInit, "04 00 00 0C 0001 0010 DEADBEEF", true},
    {"tsn_out_of_sequence", kInit, "00 00 00 14 00000005 0000 0000 00000000 61626364", true},
    {"capability_flag_then_data", "01 80 00 04", "00 00 00 14 00000000 0000 0000 00000000 61626364",
     false},
};

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// A plain TCP connection; returns the fd and its local port.
int raw_connect(const std::string& port, uint16_t& local_port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(uint16_t(std::stoi(port)));
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  local_port = ntohs(sa.sin_port);
  return fd;
}

void send_all(int fd, const std::vector<uint8_t>& bytes) {
  if (bytes.empty()) return;
  EXPECT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), ssize_t(bytes.size()));
}

// Discards what the server sends (its INIT and anything else) until the
// connection ends; returns "EOF", "ECONNRESET" (or another errno name), or
// "OPEN" when it is still up after the timeout.
std::string wait_closed(int fd, int timeout_ms) {
  const auto start = std::chrono::steady_clock::now();
  char buf[4096];
  for (;;) {
    const long long left = timeout_ms - elapsed_ms(start);
    if (left <= 0) return "OPEN";
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, int(left)) <= 0) continue;
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n == 0) return "EOF";
    if (n < 0 && errno != EINTR) return strerrorname_np(errno) ? strerrorname_np(errno) : "ERR";
  }
}

// Runs one case against the server; association 0 must keep progressing.
void run_case(const BadCase& c, PeerServer& server, size_t& errors_seen) {
  SCOPED_TRACE(c.name);
  Child& srv = *server.child;
  const size_t mark = srv.mark();
  uint16_t local_port = 0;
  const int fd = raw_connect(server.port, local_port);
  ASSERT_GE(fd, 0);
  const std::string peer = "peer=127.0.0.1:" + std::to_string(local_port);
  const auto is_accept = [&](const std::string& l) { return l.rfind("ACCEPT ", 0) == 0 && has_word(l, peer); };
  send_all(fd, hex(c.prefix));
  if (c.accepted) {
    // Break only an association the application holds, so its COMM_LOST
    // is observable.
    const auto line = srv.wait_since(mark, is_accept, Ms(3000));
    EXPECT_TRUE(line.has_value()) << "valid INIT not accepted\n" << srv.transcript();
  }
  // The connection may already be going down if the prefix alone was
  // refused; the checks below still apply.
  const auto bad = hex(c.bad);
  if (send(fd, bad.data(), bad.size(), MSG_NOSIGNAL) < 0) {
    EXPECT_TRUE(errno == EPIPE || errno == ECONNRESET) << std::strerror(errno);
  }
  const std::string how = wait_closed(fd, 3000);
  EXPECT_TRUE(how == "EOF" || how == "ECONNRESET") << "raw client connection: " << how;
  close(fd);

  // One more "protocol error" line on the server's stderr.
  const auto start = std::chrono::steady_clock::now();
  size_t errors = count_of(srv.stderr_text(), "protocol error");
  while (errors <= errors_seen && elapsed_ms(start) < 3000) {
    usleep(20 * 1000);
    errors = count_of(srv.stderr_text(), "protocol error");
  }
  EXPECT_EQ(errors, errors_seen + 1) << "server stderr:\n" << srv.stderr_text();
  errors_seen = errors;

  // If the application accepted it, it hears that the association is lost.
  srv.poll_output();
  const auto accepted = srv.wait_since(mark, is_accept, Ms(c.accepted ? 0 : 300));
  if (accepted) {
    const std::string idx = accepted->substr(7, accepted->find(' ', 7) - 7);
    const auto lost = srv.wait_since(
        mark,
        [&](const std::string& l) {
          return l.rfind("EVENT ASSOC_CHANGE COMM_LOST", 0) == 0 && has_word(l, "assoc=" + idx);
        },
        Ms(3000));
    EXPECT_TRUE(lost.has_value()) << "no COMM_LOST for association " << idx << "\n" << srv.transcript();
    const auto end = srv.wait_since(
        mark, [&](const std::string& l) { return l.rfind("ASSOC " + idx + " END ", 0) == 0; }, Ms(3000));
    ASSERT_TRUE(end.has_value()) << srv.transcript();
    EXPECT_NE(field(*end, "end"), "EOF") << "a protocol error is not a graceful end: " << *end;
  }
  // The good association (0) is still moving after this case.
  const auto moving = srv.wait_since(
      srv.mark(), [](const std::string& l) { return l.rfind("PROGRESS assoc=0 ", 0) == 0; }, Ms(3000));
  EXPECT_TRUE(moving.has_value()) << "good association stalled\n" << srv.transcript();
}

TEST(BadInput, EachMalformedCaseEndsOnlyItsAssociation) {
  ASSERT_NO_FATAL_FAILURE(require_peer_env());
  Deadline deadline(180);
  auto server = start_server({"--assocs", "0", "--events", "--progress-every", "20", "--streams", "3",
                              "--sizes", "1-2000", "--unordered-every", "4"},
                             {"SCTPMAP_LOG=warn"});
  ASSERT_FALSE(server.port.empty());
  auto good = start_client(server.port, {"--stop-on-stdin", "--send-delay-us", "1000", "--streams", "3",
                                         "--sizes", "1-2000", "--unordered-every", "4", "--events",
                                         "--wait-ms", "20000"});
  ASSERT_TRUE(good->wait_prefix("CONNECTED", Ms(5000))) << good->transcript();
  ASSERT_TRUE(server.child->wait_prefix("ACCEPT 0 ", Ms(5000))) << server.child->transcript();
  ASSERT_TRUE(server.child->wait_prefix("PROGRESS assoc=0 ", Ms(5000))) << server.child->transcript();
  ASSERT_EQ(count_of(server.child->stderr_text(), "protocol error"), 0u) << server.child->stderr_text();

  size_t errors_seen = 0;
  for (const BadCase& c : kCases) run_case(c, server, errors_seen);

  // The listener still accepts: a fresh association completes.
  // Same schedule as the server verifies against (streams, sizes, order).
  auto late = start_client(server.port,
                           {"--count", "20", "--streams", "3", "--sizes", "1-2000", "--unordered-every", "4"});
  expect_exit_ok(*late, Ms(15000));
  const auto late_end = server.child->wait_since(
      0, [](const std::string& l) { return l.find(" END received=20 ") != std::string::npos; }, Ms(5000));
  ASSERT_TRUE(late_end.has_value()) << server.child->transcript();
  EXPECT_EQ(field(*late_end, "result"), "OK") << *late_end;

  good->write_stdin("STOP\n");
  expect_exit_ok(*good, Ms(20000));
  const auto sent = good->wait_prefix("SENT ", Ms(0));
  ASSERT_TRUE(sent.has_value()) << good->transcript();
  const auto end = server.child->wait_since(
      0, [](const std::string& l) { return l.rfind("ASSOC 0 END ", 0) == 0; }, Ms(10000));
  ASSERT_TRUE(end.has_value()) << server.child->transcript();
  EXPECT_EQ(field(*end, "result"), "OK") << *end;
  EXPECT_EQ(field(*end, "end"), "EOF") << *end;
  EXPECT_EQ(field_num(*end, "received"), field_num(*sent, "n")) << *end << " vs " << *sent;
  EXPECT_TRUE(good->grep("COMM_LOST").empty()) << good->transcript();
  for (const auto& l : server.child->grep("COMM_LOST")) EXPECT_FALSE(has_word(l, "assoc=0")) << l;
  EXPECT_TRUE(server.child->running()) << "the server process must survive every case";
}

}  // namespace
}  // namespace sctpmap::test
