// SPDX-License-Identifier: MIT
// The association's building blocks on their own: RTO estimator (RFC 9260
// 6.3.1), heartbeat bookkeeping, the tx byte queue and the un-ACKed queue.
#include <gtest/gtest.h>

#include "assoc/heartbeat.hpp"
#include "assoc/rto.hpp"
#include "assoc/tx_buffer.hpp"
#include "assoc/unacked_queue.hpp"

namespace sctpmap::assoc {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(AssocRto, FirstMeasurementSetsSrttAndHalfRttvar) {
  RtoEstimator e(seconds(3));
  EXPECT_EQ(e.rto(), seconds(3));  // RTO.Initial until measured
  EXPECT_FALSE(e.measured());
  e.measure(milliseconds(400), milliseconds(10), seconds(60));
  // C2: SRTT = R, RTTVAR = R/2, RTO = SRTT + 4 RTTVAR.
  EXPECT_EQ(e.srtt(), milliseconds(400));
  EXPECT_EQ(e.rttvar(), milliseconds(200));
  EXPECT_EQ(e.rto(), milliseconds(1200));
}

TEST(AssocRto, LaterMeasurementsUseAlphaAndBeta) {
  RtoEstimator e(seconds(3));
  e.measure(milliseconds(400), milliseconds(10), seconds(60));
  e.measure(milliseconds(800), milliseconds(10), seconds(60));
  // C3: RTTVAR = 3/4 * 200 + 1/4 * |400 - 800| = 250; SRTT = 7/8 * 400 + 1/8 * 800 = 450.
  EXPECT_EQ(e.rttvar(), milliseconds(250));
  EXPECT_EQ(e.srtt(), milliseconds(450));
  EXPECT_EQ(e.rto(), milliseconds(1450));
}

TEST(AssocRto, ClampsToMinAndMax) {
  RtoEstimator e(seconds(3));
  e.measure(milliseconds(20), seconds(1), seconds(60));
  EXPECT_EQ(e.rto(), seconds(1));  // C6
  RtoEstimator slow(seconds(3));
  slow.measure(seconds(40), seconds(1), seconds(60));  // 40 + 4 * 20 > 60
  EXPECT_EQ(slow.rto(), seconds(60));  // C7
  slow.clamp(seconds(1), seconds(5));  // new bounds move the current value
  EXPECT_EQ(slow.rto(), seconds(5));
  e.clamp(seconds(2), seconds(5));
  EXPECT_EQ(e.rto(), seconds(2));
}

TEST(AssocRto, BackOffDoublesUpToMax) {
  RtoEstimator e(seconds(3));
  e.back_off(seconds(60));
  EXPECT_EQ(e.rto(), seconds(6));
  for (int i = 0; i < 10; ++i) e.back_off(seconds(60));
  EXPECT_EQ(e.rto(), seconds(60));
}

TEST(AssocRto, SteadyRttConvergesToSrttPlusFourG) {
  RtoEstimator e(seconds(3));
  for (int i = 0; i < 200; ++i) e.measure(milliseconds(100), milliseconds(1), seconds(60));
  EXPECT_EQ(e.srtt(), milliseconds(100));
  EXPECT_EQ(e.rttvar(), kClockGranularity);
  EXPECT_EQ(e.rto(), milliseconds(100) + 4 * kClockGranularity);
}

TEST(AssocHeartbeatTimer, MatchesOnlyTheOutstandingInfo) {
  HeartbeatTimer hb;
  hb.arm(Instant::from_ns(0), seconds(30));
  EXPECT_EQ(hb.deadline(seconds(3)), Instant::from_ns(0) + seconds(33));
  const HeartbeatTimer::Info first = hb.send(Instant::from_ns(1000), false);
  const HeartbeatTimer::Info second = hb.send(Instant::from_ns(5000), false);
  EXPECT_NE(first, second);  // the nonce differs
  EXPECT_FALSE(hb.on_ack(wire::Bytes(first), Instant::from_ns(9000)));  // stale
  std::optional<Duration> rtt = hb.on_ack(wire::Bytes(second), Instant::from_ns(9000));
  ASSERT_TRUE(rtt);
  EXPECT_EQ(*rtt, Duration{4000});
  EXPECT_FALSE(hb.outstanding());
  EXPECT_FALSE(hb.on_ack(wire::Bytes(second), Instant::from_ns(9000)));  // answered once only
}

TEST(AssocHeartbeatTimer, MissNeedsSilenceAndUnpausedReading) {
  HeartbeatTimer hb;
  hb.send(Instant::from_ns(0), false);
  EXPECT_TRUE(hb.is_miss());
  hb.note_life();
  EXPECT_FALSE(hb.is_miss());
  hb.send(Instant::from_ns(1), false);
  EXPECT_TRUE(hb.is_miss());
  hb.note_paused();
  EXPECT_FALSE(hb.is_miss());
  hb.send(Instant::from_ns(2), true);  // sent while paused
  EXPECT_FALSE(hb.is_miss());
}

TEST(AssocTxBuffer, TracksAbsoluteOffsetsAcrossCompaction) {
  TxBuffer tx;
  std::vector<uint8_t> chunk(1000, 7);
  uint64_t appended = 0;
  uint64_t consumed = 0;
  for (int round = 0; round < 100; ++round) {
    tx.out().insert(tx.out().end(), chunk.begin(), chunk.end());
    appended += chunk.size();
    EXPECT_EQ(tx.end_offset(), appended);
    const size_t n = 700;  // always leave some behind so compaction is exercised
    tx.consume(n);
    consumed += n;
    EXPECT_EQ(tx.consumed_offset(), consumed);
    EXPECT_EQ(tx.pending().size(), appended - consumed);
  }
  tx.consume(SIZE_MAX);
  EXPECT_TRUE(tx.empty());
  EXPECT_EQ(tx.consumed_offset(), appended);
  tx.out().push_back(1);
  tx.clear();
  EXPECT_TRUE(tx.empty());
  EXPECT_EQ(tx.consumed_offset(), appended + 1);
}

TEST(AssocTxBuffer, PendingIsTheUnwrittenSuffix) {
  TxBuffer tx;
  for (uint8_t i = 0; i < 10; ++i) tx.out().push_back(i);
  tx.consume(4);
  ASSERT_EQ(tx.pending().size(), 6u);
  EXPECT_EQ(tx.pending()[0], 4);
  EXPECT_EQ(tx.pending()[5], 9);
}

TEST(AssocUnackedQueue, DrainsOldestFirstWithWasSent) {
  UnackedQueue q;
  for (uint32_t tsn = 0; tsn < 3; ++tsn) {
    Message m;
    m.context = tsn;
    m.payload.assign(10 + tsn, 1);
    q.push(tsn, 1, 100 * tsn, 100 * (tsn + 1), std::move(m));
  }
  EXPECT_EQ(q.bytes(), 33u);
  q.pop_front();
  EXPECT_EQ(q.bytes(), 23u);
  EXPECT_EQ(q.front()->tsn, 1u);
  std::vector<SendFailed> out;
  q.drain(200, [&](SendFailed&& f) { out.push_back(std::move(f)); });
  ASSERT_EQ(out.size(), 2u);
  EXPECT_TRUE(out[0].was_sent);  // ends at 200, 200 written
  EXPECT_EQ(out[0].message.context, 1u);
  EXPECT_FALSE(out[1].was_sent);  // ends at 300
  EXPECT_EQ(out[1].message.payload.size(), 12u);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.bytes(), 0u);
}

}  // namespace
}  // namespace sctpmap::assoc
