// SPDX-License-Identifier: MIT
// Failure detection and undelivered-message retrieval between two preloaded
// sctp_peer processes:
//  - a peer frozen by SIGSTOP (its TCP stays up, nothing answers) is declared
//    lost within the heartbeat budget, and the sender gets back, as
//    SEND_FAILED notifications in order and byte-exact, exactly the messages
//    the frozen application had not taken;
//  - a peer killed by SIGKILL while data waits unread is lost within 1 s;
//  - a slow but live reader is never declared lost.
// Heartbeat settings (docs/PROTOCOL.md rule): interval 200 ms, RTO
// initial=min 100 ms, max 200 ms, Path.Max.Retrans and Association.Max.Retrans
// 3. A heartbeat goes out
// every interval+RTO; each miss doubles RTO up to max; the association is
// lost when misses exceed 3: about (3+1)*(200+200) + 200+200 = 2000 ms.
#include <signal.h>

#include <chrono>
#include <string>
#include <vector>

#include "peer_test_util.hpp"

namespace sctpmap::test {
namespace {

using Clock = std::chrono::steady_clock;

const Args kHeartbeat{"--hb-interval", "200", "--path-max-rxt", "3", "--assoc-max-rxt", "3", "--rto-initial", "100",
                      "--rto-min", "100", "--rto-max", "200"};
constexpr long long kHbInterval = 200;
constexpr long long kBudgetMs = (3 + 1) * (200 + 200) + 200 + 200;

bool is_failed_line(const std::string& l, bool new_api) {
  return l.rfind(new_api ? "EVENT SEND_FAILED_EVENT " : "EVENT SEND_FAILED ", 0) == 0;
}

// The sender's SEND_FAILED lines must be seqs first..end-1 in order, each
// intact with its stream/PPID, SENT ones before UNSENT ones (messages leave
// in order, so once one was never sent none after it was).
void expect_retrieved(Child& client, unsigned long long first, unsigned long long end, bool new_api) {
  std::vector<std::string> failed;
  for (const auto& l : client.lines())
    if (is_failed_line(l, new_api)) failed.push_back(l);
  EXPECT_EQ(failed.size(), end - first) << "one notification per message the peer never took\n"
                                        << client.transcript();
  bool unsent_seen = false;
  for (size_t i = 0; i < failed.size(); ++i) {
    const std::string& l = failed[i];
    EXPECT_EQ(field_num(l, "seq"), (long long)(first + i)) << "order: " << l;
    EXPECT_EQ(field(l, "intact"), "1") << l;
    EXPECT_EQ(field(l, "info"), "ok") << l;
    const auto flags = field(l, "flags");
    EXPECT_TRUE(flags == "SENT" || flags == "UNSENT") << l;
    if (flags == "UNSENT") unsent_seen = true;
    EXPECT_FALSE(unsent_seen && flags == "SENT") << "SENT after UNSENT: " << l;
  }
  // The other notification flavour must not be delivered as well.
  for (const auto& l : client.lines()) EXPECT_FALSE(is_failed_line(l, !new_api)) << l;
}

// Receiver takes `taken` messages and stops reading; the sender then sends
// more without blocking (after freezing the receiver if asked).
struct Stalled {
  PeerServer server;
  std::unique_ptr<Child> client;
  unsigned long long sent = 0;
  Clock::time_point frozen_at;  // when SIGSTOP was sent
};

void stall(Stalled& s, unsigned long long taken, const Args& schedule, unsigned long long count,
           bool new_api, bool freeze) {
  s.server = start_server(cat({schedule, kHeartbeat, {"--pause-after", std::to_string(taken)}}));
  ASSERT_FALSE(s.server.port.empty());
  s.client = start_client(s.server.port,
                          cat({schedule, kHeartbeat,
                               {"--count", std::to_string(count), "--phase1", std::to_string(taken),
                                "--nonblock", "--end", "none", "--wait-ms", "20000",
                                new_api ? "--send-failed-event" : "--events"}}));
  ASSERT_TRUE(s.server.child->wait_prefix("READY received=" + std::to_string(taken), Ms(10000)))
      << s.server.child->transcript();
  const auto phase1 = s.client->wait_prefix("PHASE1 ", Ms(10000));
  ASSERT_TRUE(phase1.has_value()) << s.client->transcript();
  // Everything taken must be ACKed before the freeze, or the expected set
  // of undelivered messages would be a race (unack=-1: SCTP_STATUS absent,
  // the peer waited 300 ms instead).
  EXPECT_LE(field_num(*phase1, "unack"), 0) << *phase1;
  if (freeze) s.server.child->signal(SIGSTOP);
  s.frozen_at = Clock::now();
  s.client->write_stdin("GO\n");
  const auto sent = s.client->wait_prefix("SENT ", Ms(15000));
  ASSERT_TRUE(sent.has_value()) << s.client->transcript();
  s.sent = (unsigned long long)field_num(*sent, "n");
  EXPECT_GT(s.sent, taken) << "phase 2 sent nothing";
}

void frozen_peer(bool new_api) {
  ASSERT_NO_FATAL_FAILURE(require_peer_env());
  Deadline deadline(60);
  const Args schedule{"--streams", "2", "--sizes", "100-2000", "--unordered-every", "7"};
  Stalled s;
  ASSERT_NO_FATAL_FAILURE(stall(s, 100, schedule, 600, new_api, true));
  const auto lost = s.client->wait_contains("EVENT ASSOC_CHANGE COMM_LOST", Ms(2 * kBudgetMs + 2000));
  const long long after = elapsed_ms(s.frozen_at);
  ASSERT_TRUE(lost.has_value()) << "frozen peer never declared lost\n" << s.client->transcript();
  EXPECT_GE(after, kHbInterval) << "declared lost before one heartbeat interval";
  EXPECT_LE(after, 2 * kBudgetMs) << "budget " << kBudgetMs << " ms";
  // Retrieval completes, then the socket reports the failure.
  expect_exit_ok(*s.client, Ms(10000));
  EXPECT_FALSE(s.client->grep("RECV_ERROR conn=0").empty()) << s.client->transcript();
  expect_retrieved(*s.client, 100, s.sent, new_api);
  s.server.child->signal(SIGCONT);
}

TEST(Fault, FrozenPeerLostAndUnreadMessagesRetrieved) { frozen_peer(false); }

TEST(Fault, FrozenPeerRetrievalWithSendFailedEvent) { frozen_peer(true); }

TEST(Fault, KilledPeerLostPromptly) {
  ASSERT_NO_FATAL_FAILURE(require_peer_env());
  Deadline deadline(60);
  // Large messages and a non-blocking sender that stops at EAGAIN: the
  // whole path is full, so the killed receiver's TCP socket holds unread
  // data and its kernel answers the kill with RST.
  const Args schedule{"--sizes", "20000-65519"};
  Stalled s;
  ASSERT_NO_FATAL_FAILURE(stall(s, 50, schedule, 3000, false, false));
  s.server.child->signal(SIGKILL);
  const auto killed_at = Clock::now();
  const auto lost = s.client->wait_contains("EVENT ASSOC_CHANGE COMM_LOST", Ms(5000));
  const long long after = elapsed_ms(killed_at);
  ASSERT_TRUE(lost.has_value()) << s.client->transcript();
  EXPECT_LT(after, 1000) << "a reset connection is a lost association at once";
  expect_exit_ok(*s.client, Ms(10000));
  expect_retrieved(*s.client, 50, s.sent, false);
}

TEST(Fault, SlowReaderKeepsAssociation) {
  ASSERT_NO_FATAL_FAILURE(require_peer_env());
  Deadline deadline(90);
  // 800 x 65519 bytes (52 MB) is more than the loopback TCP buffers and the
  // library's queues hold, so while the receiver reads one message per 50 ms
  // for 3 s the sender's window is closed and its heartbeats wait behind
  // data: the association must still live (1.5x the failure budget).
  const Args schedule{"--sizes", "65519-65519", "--count", "800", "--events"};
  auto server = start_server(cat({schedule, kHeartbeat, {"--read-delay-ms", "50", "--slow-for-ms", "3000"}}));
  ASSERT_FALSE(server.port.empty());
  const auto start = Clock::now();
  auto client = start_client(server.port, cat({schedule, kHeartbeat, {"--wait-ms", "60000"}}));
  expect_exit_ok(*client, Ms(70000));
  expect_exit_ok(*server.child, Ms(10000));
  EXPECT_GE(elapsed_ms(start), 2500) << "the reader was not slow; the test proves nothing";
  EXPECT_TRUE(client->grep("COMM_LOST").empty()) << client->transcript();
  EXPECT_TRUE(server.child->grep("COMM_LOST").empty()) << server.child->transcript();
  EXPECT_TRUE(client->grep("SEND_FAILED").empty()) << client->transcript();
  const auto end = server.child->wait_prefix("ASSOC 0 END ", Ms(0));
  ASSERT_TRUE(end.has_value()) << server.child->transcript();
  EXPECT_EQ(field_num(*end, "received"), 800) << *end;
  EXPECT_EQ(field(*end, "result"), "OK") << *end;
}

// SCTP_PEER_ADDR_CHANGE as Linux reports it for a single-homed association
// (docs/PROTOCOL.md 12): the client freezes after sending, the server's
// heartbeats go unanswered, and past Path.Max.Retrans (1) misses the path
// is SCTP_ADDR_UNREACHABLE (spc_error SCTP_FAILED_THRESHOLD) while the
// association lives on (Association.Max.Retrans 40, about 16 s away); the
// client thaws, answers, and the path is SCTP_ADDR_AVAILABLE again
// (SCTP_HEARTBEAT_SUCCESS). No timing is asserted beyond generous waits.
TEST(Fault, FrozenPeerPathUnreachableThenAvailable) {
  ASSERT_NO_FATAL_FAILURE(require_peer_env());
  Deadline deadline(90);
  const Args knobs{"--hb-interval", "200", "--path-max-rxt", "1", "--assoc-max-rxt", "40", "--rto-initial", "100",
                   "--rto-min", "100", "--rto-max", "200", "--events", "--count", "5"};
  auto server = start_server(knobs);
  ASSERT_FALSE(server.port.empty());
  auto client = start_client(server.port, cat({knobs, {"--end", "none", "--wait-ms", "60000"}}));
  ASSERT_TRUE(client->wait_prefix("SENT ", Ms(10000))) << client->transcript();
  ASSERT_TRUE(server.child->wait_contains("EVENT ASSOC_CHANGE COMM_UP", Ms(10000))) << server.child->transcript();
  client->signal(SIGSTOP);
  const auto down = server.child->wait_contains("EVENT PEER_ADDR_CHANGE", Ms(15000));
  client->signal(SIGCONT);
  ASSERT_TRUE(down.has_value()) << server.child->transcript();
  EXPECT_NE(down->find("state=1 error=0"), std::string::npos) << *down;  // UNREACHABLE, FAILED_THRESHOLD
  const auto up = server.child->wait_contains("state=0 error=2", Ms(15000));  // AVAILABLE, HEARTBEAT_SUCCESS
  ASSERT_TRUE(up.has_value()) << server.child->transcript();
  EXPECT_NE(up->find("EVENT PEER_ADDR_CHANGE"), std::string::npos) << *up;
  EXPECT_TRUE(server.child->grep("COMM_LOST").empty()) << server.child->transcript();
  EXPECT_EQ(server.child->grep("PEER_ADDR_CHANGE").size(), 2u) << server.child->transcript();
  client->signal(SIGKILL);
}

}  // namespace
}  // namespace sctpmap::test
