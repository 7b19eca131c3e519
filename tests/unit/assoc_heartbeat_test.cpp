// SPDX-License-Identifier: MIT
// Heartbeats, RTO and failure detection on the two-association harness
// (RFC 9260 sections 6.3.1, 8.1-8.3; the draft's section 4 is OURS to define).
#include <gtest/gtest.h>

#include <algorithm>

#include "assoc_harness.hpp"

namespace sctpmap::assoc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint8_t kHeartbeat = 4;
constexpr uint8_t kHeartbeatAck = 5;

Instant at(Duration d) { return Instant{} + d; }

TEST(AssocHeartbeat, IdleCadenceIsIntervalPlusRto) {
  Harness h(Config{});
  h.latency = milliseconds(10);
  h.start();
  h.run_for(seconds(200));
  // Up at 10 ms (the peer's INIT took 10 ms). First heartbeat at up + 30 s +
  // RTO.Initial (3 s); its 20 ms round trip gives RTO = 60 ms, clamped to
  // RTO.Min = 1 s, so after that one every 31 s.
  for (Endpoint* e : {&h.a(), &h.b()}) {
    const auto hbs = e->sent_of(kHeartbeat);
    ASSERT_EQ(hbs.size(), 6u);
    const Instant up = at(milliseconds(10));
    EXPECT_EQ(hbs[0]->at, up + seconds(33));
    for (size_t i = 1; i < hbs.size(); ++i) EXPECT_EQ(hbs[i]->at, hbs[i - 1]->at + seconds(31)) << i;
    EXPECT_EQ(hbs[0]->length, 4u + 4u + 16u);  // parameter header + 16 bytes of info
    EXPECT_EQ(e->sent_of(kHeartbeatAck).size(), 6u);
    EXPECT_EQ(e->assoc.rto(), seconds(1));
    EXPECT_EQ(e->assoc.srtt(), milliseconds(20));
    EXPECT_EQ(e->assoc.error_count(), 0u);
    EXPECT_EQ(e->assoc.next_deadline(), hbs.back()->at + seconds(31));
  }
  // Nothing but INIT, CAPABILITY and heartbeats went out.
  for (const ChunkSeen& c : h.a().sent) EXPECT_TRUE(c.type == 1 || c.type == 0x80 || c.type >= 4) << int(c.type);
}

TEST(AssocHeartbeat, HeartbeatAckEchoesInfoUnchanged) {
  Harness h(Config{});
  h.start();
  h.run_for(seconds(40));
  const auto hb = h.a().sent_of(kHeartbeat);
  const auto ack = h.b().sent_of(kHeartbeatAck);
  ASSERT_EQ(hb.size(), 1u);
  ASSERT_EQ(ack.size(), 1u);
  EXPECT_TRUE(std::equal(hb[0]->bytes.begin() + 4, hb[0]->bytes.end(), ack[0]->bytes.begin() + 4));
}

TEST(AssocHeartbeat, RtoConvergesToMeasuredRtt) {
  Config c;
  c.hb_interval = seconds(1);
  c.rto_min = milliseconds(10);
  Harness h(c);
  h.latency = milliseconds(50);
  h.start();
  h.run_for(seconds(5));  // first heartbeat at 50 ms + 1 s + 3 s, answered 100 ms later
  // C2 after the first round trip: SRTT 100 ms, RTTVAR 50 ms, RTO 300 ms.
  EXPECT_EQ(h.a().assoc.srtt(), milliseconds(100));
  EXPECT_EQ(h.a().assoc.rto(), milliseconds(300));
  Duration last = h.a().assoc.rto();
  for (int i = 0; i < 100; ++i) {
    h.run_for(seconds(2));
    EXPECT_LE(h.a().assoc.rto(), last);
    last = h.a().assoc.rto();
  }
  EXPECT_EQ(h.a().assoc.srtt(), milliseconds(100));
  EXPECT_EQ(h.a().assoc.rto(), milliseconds(100) + 4 * kClockGranularity);
}

TEST(AssocHeartbeat, RtoClampedToMin) {
  Config c;
  c.hb_interval = seconds(1);
  Harness h(c);
  h.latency = milliseconds(5);
  h.start();
  h.run_for(seconds(60));
  EXPECT_EQ(h.a().assoc.srtt(), milliseconds(10));
  EXPECT_EQ(h.a().assoc.rto(), c.rto_min);
}

TEST(AssocHeartbeat, UpdateConfigClampsRtoAndAppliesFromNextTimer) {
  Harness h(Config{});
  h.start();
  EXPECT_EQ(h.a().assoc.rto(), seconds(3));
  Config c;
  c.rto_max = seconds(2);
  c.hb_interval = seconds(5);
  h.a().assoc.update_config(c);
  EXPECT_EQ(h.a().assoc.rto(), seconds(2));
  // The armed heartbeat keeps its 30 s interval; the next one uses 5 s.
  EXPECT_EQ(h.a().assoc.next_deadline(), at(seconds(32)));
  h.run_until(at(seconds(32)));
  ASSERT_EQ(h.a().sent_of(kHeartbeat).size(), 1u);
  EXPECT_EQ(h.a().assoc.next_deadline(), at(seconds(32 + 5 + 1)));  // RTO.Min after the 0 ms RTT
}

TEST(AssocHeartbeat, DisabledArmsNothing) {
  Config c;
  c.hb_enabled = false;
  Harness h(c);
  EXPECT_FALSE(h.a().assoc.next_deadline());  // before start
  h.start();
  EXPECT_EQ(h.a().assoc.state(), State::kEstablished);
  EXPECT_FALSE(h.a().assoc.next_deadline());
  h.run_for(seconds(3600));
  EXPECT_TRUE(h.a().sent_of(kHeartbeat).empty());
  // Enabling later arms from the latest time the association has seen.
  ASSERT_TRUE(h.a().assoc.send(make_message(8), h.now).ok());  // tell it the time
  c.hb_enabled = true;
  h.a().assoc.update_config(c);
  EXPECT_EQ(h.a().assoc.next_deadline(), h.now + c.hb_interval + c.rto_initial);
  c.hb_enabled = false;
  h.a().assoc.update_config(c);
  EXPECT_FALSE(h.a().assoc.next_deadline());
}

TEST(AssocHeartbeat, NoDeadlineBeforeEstablishedOrAfterDone) {
  Association a{Config{}};
  EXPECT_FALSE(a.next_deadline());
  a.start(Instant{});
  EXPECT_FALSE(a.next_deadline());
  a.on_eof(Instant{});
  EXPECT_EQ(a.state(), State::kDone);
  EXPECT_FALSE(a.next_deadline());
}

// When a heartbeat-timeout CommLost must happen for a peer that vanished right
// after the heartbeat sent at `last_sent`, with `rto` current at that moment:
// each miss doubles RTO (capped), and the association ends at the miss that
// takes the error count past Association.Max.Retrans (as Linux; the path's
// own limit only marks the path down).
Instant expected_loss(Instant last_sent, Duration rto, const Config& c) {
  const int limit = c.assoc_max_retrans;
  Instant t = last_sent;
  for (int miss = 1; miss <= limit + 1; ++miss) {
    t += c.hb_interval + rto;
    rto = std::min(2 * rto, c.rto_max);
  }
  return t;
}

TEST(AssocFailureDetection, FrozenPeerDetectedExactlyOnBudget) {
  Harness h(Config{});
  h.latency = milliseconds(10);
  h.start();
  h.run_for(seconds(1));
  h.freeze(h.b());
  h.run_for(seconds(1000));
  const auto lost = h.a().events_of<CommLost>();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0]->reason, LossReason::kHeartbeatTimeout);
  // Defaults: 33 s after CommUp at 10 ms, then 11 misses at 30 s + RTO each,
  // RTO 3, 6, 12, 24, 48, then 60 s six times: 330 + 453 = 783 s.
  const Instant want = expected_loss(at(milliseconds(10) + seconds(33)), seconds(3), Config{});
  EXPECT_EQ(want, at(milliseconds(10) + seconds(816)));
  EXPECT_EQ(h.a().first_time<CommLost>(), want);
  EXPECT_EQ(h.a().assoc.state(), State::kDone);
  EXPECT_FALSE(h.a().assoc.next_deadline());
  EXPECT_EQ(h.a().sent_of(kHeartbeat).size(), 11u);  // the first and ten retries
  // The path went down after Path.Max.Retrans (5) misses, once.
  ASSERT_EQ(h.a().events_of<PathChange>().size(), 1u);
  EXPECT_FALSE(h.a().events_of<PathChange>()[0]->available);
}

TEST(AssocFailureDetection, FrozenAfterMeasuredRttUsesMeasuredRto) {
  Config c;
  c.hb_interval = seconds(2);
  c.rto_min = milliseconds(100);
  c.rto_max = seconds(4);
  c.path_max_retrans = 3;
  c.assoc_max_retrans = 3;
  Harness h(c);
  h.latency = milliseconds(30);
  h.start();
  h.run_for(seconds(20));
  const Instant last_sent = h.a().sent_of(kHeartbeat).back()->at;
  ASSERT_LT(last_sent + milliseconds(60), h.now);  // answered
  const Duration rto = h.a().assoc.rto();
  h.freeze(h.b());
  h.run_for(seconds(120));
  // The last answered heartbeat is not a miss; the next one, sent at its
  // deadline, is the first that can be.
  const Instant first_unanswered = last_sent + c.hb_interval + rto;
  EXPECT_EQ(h.a().first_time<CommLost>(), expected_loss(first_unanswered, rto, c));
}

TEST(AssocFailureDetection, UnackedDataIsRetrievedAfterHeartbeatTimeout) {
  Config c;
  c.hb_interval = seconds(1);
  c.path_max_retrans = 1;
  c.assoc_max_retrans = 1;
  Harness h(c);
  h.start();
  h.freeze(h.b());
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(h.a().assoc.send(make_message(100, 0, 0, i), h.now).ok());
  h.run_for(seconds(60));
  ASSERT_EQ(h.a().events_of<CommLost>().size(), 1u);
  const auto failed = h.a().events_of<SendFailed>();
  ASSERT_EQ(failed.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_TRUE(failed[i]->was_sent);
    EXPECT_EQ(failed[i]->message.context, i);
  }
}

// Sender `a` writes 1000-byte messages as fast as its send buffer allows; the
// application behind `b` reads one message every 50 ms.
void run_slow_reader(Harness& h, Duration how_long) {
  h.b().take_every = milliseconds(50);
  h.b().app_capacity = 4;
  h.start();
  const Instant end = h.now + how_long;
  uint32_t next = 0;
  while (h.now < end) {
    while (h.a().assoc.send(make_message(1000, 0, 0, next, static_cast<uint8_t>(next)), h.now).ok()) ++next;
    h.pump();
    if (!h.step()) break;
  }
}

Config slow_reader_config() {
  Config c;
  c.hb_interval = seconds(1);
  c.rto_initial = milliseconds(500);
  c.rto_min = milliseconds(100);
  c.path_max_retrans = 1;  // two misses in a row would end it
  c.assoc_max_retrans = 1;
  c.sndbuf = 200 * 1000;
  return c;
}

TEST(AssocFailureDetection, SlowReaderIsNeverDeclaredDead) {
  Harness h(slow_reader_config());
  h.latency = milliseconds(20);
  h.window = 64 * 1024;
  run_slow_reader(h, seconds(120));
  EXPECT_TRUE(h.a().events_of<CommLost>().empty());
  EXPECT_TRUE(h.b().events_of<CommLost>().empty());
  EXPECT_EQ(h.a().assoc.state(), State::kEstablished);
  EXPECT_EQ(h.b().assoc.state(), State::kEstablished);
  // The reader got one message per 50 ms, in order and intact.
  EXPECT_GE(h.b().taken.size(), 2300u);
  for (size_t i = 0; i < h.b().taken.size(); ++i) {
    ASSERT_EQ(h.b().taken[i].tsn, i);
    ASSERT_EQ(h.b().taken[i].payload[0], static_cast<uint8_t>(i));
  }
  // Heartbeats kept going both ways.
  EXPECT_GE(h.a().sent_of(kHeartbeat).size(), 60u);
  EXPECT_GE(h.b().sent_of(kHeartbeat).size(), 60u);
}

TEST(AssocFailureDetection, SlowReaderSurvivesEvenWithoutPauseReports) {
  // The engine never says it stopped reading: chunks arriving from the peer
  // are enough to tell "slow" from "dead".
  Harness h(slow_reader_config());
  h.b().report_pause = false;
  h.latency = milliseconds(20);
  h.window = 64 * 1024;
  run_slow_reader(h, seconds(120));
  EXPECT_TRUE(h.a().events_of<CommLost>().empty());
  EXPECT_TRUE(h.b().events_of<CommLost>().empty());
}

TEST(AssocFailureDetection, PausedReaderCountsNoMisses) {
  Config c;
  c.hb_interval = seconds(1);
  c.path_max_retrans = 1;
  c.assoc_max_retrans = 1;
  Harness h(c);
  h.latency = milliseconds(10);
  h.start();
  h.run_for(seconds(5));
  h.stall(h.b(), true);
  h.run_for(seconds(300));
  // b cannot read the answers to its heartbeats, and knows it; a sees b's
  // heartbeats arrive, so b is alive even though a's go unanswered.
  EXPECT_EQ(h.b().assoc.error_count(), 0u);
  EXPECT_EQ(h.a().assoc.error_count(), 0u);
  EXPECT_TRUE(h.a().events_of<CommLost>().empty());
  EXPECT_TRUE(h.b().events_of<CommLost>().empty());
  // Reading again: the backlog of stale answers is ignored, fresh ones count.
  h.stall(h.b(), false);
  const size_t before = h.b().sent_of(kHeartbeat).size();
  h.run_for(seconds(10));
  EXPECT_GT(h.b().sent_of(kHeartbeat).size(), before);
  EXPECT_EQ(h.b().assoc.error_count(), 0u);
  EXPECT_EQ(h.b().assoc.state(), State::kEstablished);
}

TEST(AssocFailureDetection, PausedReaderDoesNotDetectFrozenPeer) {
  // Documented limit: while our own reading is paused we cannot tell, so we do
  // not guess; TCP-level detection is the engine's business.
  Config c;
  c.hb_interval = seconds(1);
  c.path_max_retrans = 1;
  c.assoc_max_retrans = 1;
  Harness h(c);
  h.start();
  h.stall(h.b(), true);
  h.freeze(h.a());
  h.run_for(seconds(300));
  EXPECT_EQ(h.b().assoc.error_count(), 0u);
  EXPECT_EQ(h.b().assoc.state(), State::kEstablished);
}

TEST(AssocFailureDetection, MissesCountAndResetOnAnswer) {
  Config c;
  c.hb_interval = seconds(1);
  c.rto_initial = seconds(1);
  c.path_max_retrans = 5;
  Harness h(c);
  h.start();
  h.freeze(h.b());
  h.run_until(at(seconds(2 + 2 + 2 + 1)));  // first heartbeat at 2 s, misses at 4 and 7 s
  EXPECT_EQ(h.a().assoc.error_count(), 2u);
  EXPECT_EQ(h.a().assoc.rto(), seconds(4));
  h.b().frozen = false;  // b wakes up and answers
  h.run_for(seconds(30));
  EXPECT_EQ(h.a().assoc.error_count(), 0u);
  EXPECT_TRUE(h.a().events_of<CommLost>().empty());
}

// SCTP_PEER_ADDR_CHANGE, as Linux for a single-homed association: beyond
// Path.Max.Retrans misses the path is unreachable (once), the association
// lives on until Association.Max.Retrans, and an answered heartbeat brings
// the path back.
// Heartbeats every 2 s (1 s interval, RTO fixed at 1 s) against a peer
// frozen from the start.
Harness& frozen_from_start(Harness& h) {
  h.start();
  h.freeze(h.b());
  return h;
}

Config path_config(uint16_t path_max, uint16_t assoc_max) {
  Config c;
  c.hb_interval = seconds(1);
  c.rto_initial = seconds(1);
  c.rto_max = seconds(1);
  c.path_max_retrans = path_max;
  c.assoc_max_retrans = assoc_max;
  return c;
}

TEST(AssocPathChange, UnreachableAfterPathLimitThenAvailableOnAnswer) {
  Harness h(path_config(2, 6));
  frozen_from_start(h);
  // First heartbeat at 2 s; misses at 4, 6 and 8 s.
  h.run_until(at(milliseconds(7900)));
  EXPECT_EQ(h.a().assoc.error_count(), 2u);
  EXPECT_TRUE(h.a().events_of<PathChange>().empty());
  h.run_until(at(milliseconds(8100)));
  ASSERT_EQ(h.a().events_of<PathChange>().size(), 1u);
  EXPECT_FALSE(h.a().events_of<PathChange>()[0]->available);
  EXPECT_EQ(h.a().events_of<PathChange>()[0]->reason, PathReason::kFailedThreshold);
  EXPECT_EQ(h.a().first_time<PathChange>(), at(seconds(8)));
  h.run_until(at(milliseconds(11900)));  // two more misses: still one event, still up
  EXPECT_EQ(h.a().events_of<PathChange>().size(), 1u);
  EXPECT_TRUE(h.a().events_of<CommLost>().empty());
  h.b().frozen = false;
  h.run_for(seconds(5));
  ASSERT_EQ(h.a().events_of<PathChange>().size(), 2u);
  EXPECT_TRUE(h.a().events_of<PathChange>()[1]->available);
  EXPECT_EQ(h.a().events_of<PathChange>()[1]->reason, PathReason::kHeartbeatSuccess);
  EXPECT_EQ(h.a().assoc.error_count(), 0u);
  EXPECT_TRUE(h.a().events_of<CommLost>().empty());
}

TEST(AssocPathChange, NoPathEventWhenTheAssociationFailsFirst) {
  Harness h(path_config(3, 3));
  frozen_from_start(h);
  h.run_for(seconds(60));
  EXPECT_EQ(h.a().events_of<CommLost>().size(), 1u);
  EXPECT_TRUE(h.a().events_of<PathChange>().empty());
}

}  // namespace
}  // namespace sctpmap::assoc::test
