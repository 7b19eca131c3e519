// SPDX-License-Identifier: MIT
// PR-SCTP time-to-live in the association: the newest message, while none of
// its bytes is written, is taken back when its deadline passes
// (SendFailed / SCTP_DATA_UNSENT), and the peer sees a TSN and SSN sequence
// without a gap; anything written, or followed by another message, is sent.
#include <gtest/gtest.h>

#include "assoc_harness.hpp"

namespace sctpmap::assoc::test {
namespace {

using std::chrono::milliseconds;

constexpr uint16_t kUnordered = 1;  // SCTP_UNORDERED

Message with_ttl(Message m, Instant expires) {
  m.expires = expires;
  return m;
}

std::vector<const SendFailed*> failed(const Endpoint& e) { return e.events_of<SendFailed>(); }

// Three messages fill the window while B does not read; the fourth, with a
// TTL, waits unwritten behind them, as do ACKs A owes B.
struct Blocked : ::testing::Test {
  Harness h{Config{}};
  void SetUp() override {
    h.window = 2500;
    h.start();
    ASSERT_TRUE(h.run_until_pred([&] { return h.a().assoc.state() == State::kEstablished &&
                                             h.b().assoc.state() == State::kEstablished; },
                                 milliseconds(100)));
    h.stall(h.b(), true);
    for (uint8_t i = 0; i < 3; ++i) ASSERT_TRUE(h.a().assoc.send(make_message(1000, 0, i, 0, i), h.now).ok());
    h.pump();
    ASSERT_FALSE(h.a().assoc.pending_tx().empty());
  }
};

TEST_F(Blocked, ExpiredUnwrittenTailComesBackAndLeavesNoGap) {
  Endpoint& a = h.a();
  Endpoint& b = h.b();
  const Instant expires = h.now + milliseconds(50);
  ASSERT_TRUE(a.assoc.send(with_ttl(make_message(700, 0, 9, 0, 9), expires), h.now).ok());
  EXPECT_TRUE(a.assoc.unwritten_ttl_tail());
  EXPECT_EQ(a.assoc.next_deadline(), expires);  // before the heartbeat
  // B sends to A and A takes it: the ACK waits in A's tx behind the TTL message.
  ASSERT_TRUE(b.assoc.send(make_message(10), h.now).ok());
  h.run_for(milliseconds(49));
  EXPECT_TRUE(failed(a).empty());
  EXPECT_EQ(b.assoc.unacked_count(), 1u);
  h.run_for(milliseconds(2));
  ASSERT_EQ(failed(a).size(), 1u);
  EXPECT_FALSE(failed(a)[0]->was_sent);
  EXPECT_EQ(failed(a)[0]->message.ppid, 9u);
  EXPECT_EQ(failed(a)[0]->message.payload, make_message(700, 0, 9, 0, 9).payload);
  EXPECT_EQ(a.assoc.unacked_count(), 3u);
  EXPECT_FALSE(a.assoc.unwritten_ttl_tail());
  // The next message takes the TSN and SSN the dropped one had.
  ASSERT_TRUE(a.assoc.send(make_message(500, 0, 3, 0, 3), h.now).ok());
  h.stall(b, false);
  ASSERT_TRUE(h.run_until_pred([&] { return b.taken.size() == 4 && b.assoc.unacked_count() == 0; },
                               milliseconds(500)));
  for (uint32_t i = 0; i < 4; ++i) {
    EXPECT_EQ(b.taken[i].ppid, i);
    EXPECT_EQ(b.taken[i].ssn, i);
    EXPECT_EQ(b.taken[i].tsn, b.taken[0].tsn + i);
  }
  EXPECT_TRUE(b.events_of<CommLost>().empty());
  EXPECT_TRUE(a.events_of<CommLost>().empty());
  EXPECT_EQ(a.assoc.unacked_count(), 0u);
}

TEST_F(Blocked, UnorderedTailKeepsTheStreamSequence) {
  Endpoint& a = h.a();
  ASSERT_TRUE(a.assoc.send(with_ttl(make_message(100, 0, 9, 0, 0, kUnordered), h.now + milliseconds(5)), h.now).ok());
  h.run_for(milliseconds(10));
  ASSERT_EQ(failed(a).size(), 1u);
  ASSERT_TRUE(a.assoc.send(make_message(100, 0, 3), h.now).ok());
  h.stall(h.b(), false);
  ASSERT_TRUE(h.run_until_pred([&] { return h.b().taken.size() == 4; }, milliseconds(500)));
  EXPECT_EQ(h.b().taken[3].ppid, 3u);
  EXPECT_EQ(h.b().taken[3].ssn, 3u);
  EXPECT_FALSE(h.b().taken[3].unordered);
}

TEST_F(Blocked, MessageBehindTheTtlMessageKeepsItAlive) {
  Endpoint& a = h.a();
  ASSERT_TRUE(a.assoc.send(with_ttl(make_message(100, 0, 9), h.now + milliseconds(5)), h.now).ok());
  ASSERT_TRUE(a.assoc.send(make_message(100, 0, 4), h.now).ok());
  EXPECT_FALSE(a.assoc.unwritten_ttl_tail());
  h.run_for(milliseconds(20));
  EXPECT_TRUE(failed(a).empty());
  h.stall(h.b(), false);
  ASSERT_TRUE(h.run_until_pred([&] { return h.b().taken.size() == 5; }, milliseconds(500)));
  EXPECT_EQ(h.b().taken[3].ppid, 9u);
}

// A graceful shutdown that waited only for the expired message goes on:
// our SHUTDOWN chunk (extension mode) follows at once.
TEST(AssocTtl, ShutdownGoesOnWhenTheLastMessageExpires) {
  Harness h{Config{}};
  h.start();
  ASSERT_TRUE(h.run_until_pred([&] { return h.a().assoc.state() == State::kEstablished &&
                                           h.b().assoc.state() == State::kEstablished; },
                               milliseconds(100)));
  h.window = 0;
  Association& a = h.a().assoc;
  ASSERT_TRUE(a.send(with_ttl(make_message(100, 0, 9), h.now + milliseconds(5)), h.now).ok());
  a.shutdown(h.now);
  a.on_timeout(h.now + milliseconds(5));
  ASSERT_EQ(a.unacked_count(), 0u);
  ASSERT_FALSE(a.pending_tx().empty());
  EXPECT_EQ(a.pending_tx()[0], static_cast<uint8_t>(wire::ChunkType::kShutdown));
  h.window = 1u << 20;
  ASSERT_TRUE(h.run_until_pred([&] { return !h.a().events_of<ShutdownComplete>().empty() &&
                                           !h.b().events_of<ShutdownComplete>().empty(); },
                               milliseconds(2000)));
  EXPECT_TRUE(h.b().taken.empty());
}

TEST(AssocTtl, PartlyWrittenMessageIsSent) {
  Harness h{Config{}};
  h.start();
  ASSERT_TRUE(h.run_until_pred([&] { return h.a().assoc.state() == State::kEstablished &&
                                           h.b().assoc.state() == State::kEstablished; },
                               milliseconds(100)));
  h.window = 0;  // nothing more goes out until the test says so
  Association& a = h.a().assoc;
  ASSERT_TRUE(a.send(with_ttl(make_message(1000, 0, 7), h.now + milliseconds(5)), h.now).ok());
  a.consume_tx(1);  // its first byte reached TCP: the rest must follow
  EXPECT_FALSE(a.unwritten_ttl_tail());
  a.on_timeout(h.now + milliseconds(10));
  EXPECT_TRUE(failed(h.a()).empty());
  EXPECT_EQ(a.unacked_count(), 1u);
  EXPECT_FALSE(a.pending_tx().empty());
}

TEST(AssocTtl, NoTtlNoDeadline) {
  Harness h{Config{}};
  h.start();
  ASSERT_TRUE(h.run_until_pred([&] { return h.a().assoc.state() == State::kEstablished; }, milliseconds(100)));
  h.window = 0;
  Association& a = h.a().assoc;
  const auto before = a.next_deadline();
  ASSERT_TRUE(a.send(make_message(100), h.now).ok());
  EXPECT_FALSE(a.unwritten_ttl_tail());
  EXPECT_EQ(a.next_deadline(), before);
  a.on_timeout(h.now + milliseconds(10));
  EXPECT_EQ(a.unacked_count(), 1u);
}

}  // namespace
}  // namespace sctpmap::assoc::test
