// SPDX-License-Identifier: MIT
// Two real processes, both preloaded: sctp_peer clients sending to an
// sctp_peer server over 127.0.0.1. The server verifies every message
// (boundaries, per-stream order, stream/PPID echo, no loss or duplication;
// see peer_verify.hpp) and reports per association; these tests read the
// reports and the notifications both sides print.
#include <string>
#include <vector>

#include "peer_test_util.hpp"

namespace sctpmap::test {
namespace {

bool starts(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

// The server's "ASSOC i END ..." line for association i.
std::optional<std::string> assoc_end(Child& server, int idx, Ms timeout) {
  const std::string prefix = "ASSOC " + std::to_string(idx) + " END ";
  return server.wait_since(0, [&](const std::string& l) { return starts(l, prefix); }, timeout);
}

void expect_assoc_ok(Child& server, int idx, long long received, const std::string& end = "EOF") {
  const auto line = assoc_end(server, idx, Ms(5000));
  ASSERT_TRUE(line.has_value()) << "no END for association " << idx << "\n" << server.transcript();
  EXPECT_EQ(field(*line, "result"), "OK") << *line;
  EXPECT_EQ(field(*line, "end"), end) << *line;
  if (received >= 0) {
    EXPECT_EQ(field_num(*line, "received"), received) << *line;
  }
}

TEST(Transfer, TenStreamsHundredThousandMessages) {
  ASSERT_NO_FATAL_FAILURE(require_peer_env());
  Deadline deadline(420);
  // Every third message unordered (3 and 10 coprime, so every stream mixes
  // both kinds); log-uniform sizes 1..65519 with both extremes recurring.
  const Args schedule{"--streams", "10", "--sizes", "1-65519", "--unordered-every", "3",
                      "--count", "100000"};
  auto server = start_server(cat({schedule, {"--assocs", "1"}}));
  ASSERT_FALSE(server.port.empty());
  auto client = start_client(server.port, cat({schedule, {"--wait-ms", "60000"}}));
  expect_exit_ok(*client, Ms(360000));
  expect_exit_ok(*server.child, Ms(30000));
  EXPECT_TRUE(client->wait_since(0, [](const std::string& l) { return starts(l, "SENT n=100000 "); },
                                 Ms(0)))
      << client->transcript();
  expect_assoc_ok(*server.child, 0, 100000);
  EXPECT_TRUE(server.child->wait_since(0, [](const std::string& l) { return l == "SERVER DONE ok=1 fail=0"; },
                                       Ms(0)));
}

TEST(Transfer, AllUnorderedSmallAndLarge) {
  ASSERT_NO_FATAL_FAILURE(require_peer_env());
  Deadline deadline(120);
  const Args schedule{"--streams", "4", "--sizes", "24-65519", "--unordered-every", "1",
                      "--count", "5000"};
  auto server = start_server(cat({schedule, {"--assocs", "1"}}));
  ASSERT_FALSE(server.port.empty());
  auto client = start_client(server.port, schedule);
  expect_exit_ok(*client, Ms(90000));
  expect_exit_ok(*server.child, Ms(10000));
  expect_assoc_ok(*server.child, 0, 5000);
}

TEST(Transfer, ManyAssociationsOneListener) {
  ASSERT_NO_FATAL_FAILURE(require_peer_env());
  Deadline deadline(180);
  constexpr int kClients = 8, kConns = 4;  // 32 concurrent associations
  const Args schedule{"--streams", "4", "--sizes", "1-4000", "--unordered-every", "5", "--count", "300"};
  auto server = start_server(cat({schedule, {"--assocs", std::to_string(kClients * kConns)}}));
  ASSERT_FALSE(server.port.empty());
  std::vector<std::unique_ptr<Child>> clients;
  for (int i = 0; i < kClients; ++i)
    clients.push_back(start_client(server.port, cat({schedule, {"--conns", std::to_string(kConns)}})));
  for (auto& c : clients) expect_exit_ok(*c, Ms(120000));
  expect_exit_ok(*server.child, Ms(20000));
  for (int i = 0; i < kClients * kConns; ++i) expect_assoc_ok(*server.child, i, 300);
  EXPECT_FALSE(server.child->grep("SERVER DONE ok=32 fail=0").empty()) << server.child->transcript();
}

TEST(Transfer, ShutdownEventsAcrossProcesses) {
  ASSERT_NO_FATAL_FAILURE(require_peer_env());
  Deadline deadline(60);
  const Args schedule{"--count", "50", "--events"};
  auto server = start_server(schedule);
  ASSERT_FALSE(server.port.empty());
  auto client = start_client(server.port, cat({schedule, {"--end", "shutdown"}}));
  expect_exit_ok(*client, Ms(30000));
  expect_exit_ok(*server.child, Ms(10000));
  // Passive side, in this order: up, the peer's shutdown, completion, EOF.
  for (const char* want : {"EVENT ASSOC_CHANGE COMM_UP", "EVENT SHUTDOWN_EVENT",
                           "EVENT ASSOC_CHANGE SHUTDOWN_COMP", "ASSOC 0 END "}) {
    EXPECT_TRUE(server.child->wait_prefix(want, Ms(0))) << "missing or out of order: " << want << "\n"
                                                        << server.child->transcript();
  }
  expect_assoc_ok(*server.child, 0, 50);
  // Active side: up, completion, then recv fails with ENOTCONN (the socket
  // that sent SHUTDOWN is CLOSED, Linux's sctp_recvmsg). The peer reads its
  // notifications only after sending, so SENT may come before COMM_UP.
  EXPECT_FALSE(client->grep("SENT n=50 ").empty()) << client->transcript();
  for (const char* want : {"EVENT ASSOC_CHANGE COMM_UP", "EVENT ASSOC_CHANGE SHUTDOWN_COMP",
                           "RECV_ERROR conn=0 errno=ENOTCONN", "CLIENT DONE"}) {
    EXPECT_TRUE(client->wait_prefix(want, Ms(0))) << "missing or out of order: " << want << "\n"
                                                  << client->transcript();
  }
  EXPECT_TRUE(client->grep("COMM_LOST").empty());
  EXPECT_TRUE(server.child->grep("COMM_LOST").empty());
}

TEST(Transfer, AbortAcrossProcesses) {
  ASSERT_NO_FATAL_FAILURE(require_peer_env());
  Deadline deadline(60);
  auto server = start_server({"--events", "--sizes", "1-1000"});
  ASSERT_FALSE(server.port.empty());
  // SO_LINGER {1,0} then close(): ABORT. Whatever arrived before it must
  // still verify; the count is not known because an abort may discard data.
  auto client = start_client(server.port, {"--count", "20", "--sizes", "1-1000", "--end", "abort"});
  expect_exit_ok(*client, Ms(20000));
  const auto lost = server.child->wait_contains("EVENT ASSOC_CHANGE COMM_LOST", Ms(5000));
  EXPECT_TRUE(lost.has_value()) << server.child->transcript();
  expect_assoc_ok(*server.child, 0, -1, "ECONNRESET");
  EXPECT_TRUE(server.child->grep("SHUTDOWN_COMP").empty()) << "an abort is not a shutdown";
  expect_exit_ok(*server.child, Ms(5000));
}

TEST(Transfer, InitmsgAcrossProcesses) {
  ASSERT_NO_FATAL_FAILURE(require_peer_env());
  Deadline deadline(60);
  const Args schedule{"--streams", "3", "--count", "30", "--events"};
  auto server = start_server(cat({schedule, {"--max-in", "3"}}));
  ASSERT_FALSE(server.port.empty());
  auto client = start_client(server.port, cat({schedule, {"--ostreams", "5"}}));
  expect_exit_ok(*client, Ms(30000));
  expect_exit_ok(*server.child, Ms(10000));
  const auto up = client->wait_since(0, [](const std::string& l) { return starts(l, "EVENT ASSOC_CHANGE COMM_UP"); },
                                     Ms(0));
  ASSERT_TRUE(up.has_value()) << client->transcript();
  EXPECT_EQ(field_num(*up, "out"), 3) << "asked for 5 outbound streams, peer allows 3: " << *up;
  const auto sup = server.child->wait_since(
      0, [](const std::string& l) { return starts(l, "EVENT ASSOC_CHANGE COMM_UP"); }, Ms(0));
  ASSERT_TRUE(sup.has_value()) << server.child->transcript();
  EXPECT_EQ(field_num(*sup, "in"), 3) << *sup;
  expect_assoc_ok(*server.child, 0, 30);
}

}  // namespace
}  // namespace sctpmap::test
