// SPDX-License-Identifier: MIT
// The data path: send() limits, TSN/SSN numbering and the U flag, one ACK per
// delivered DATA (draft section 3), sink backpressure without loss or
// duplication, and every split point of the byte stream.
#include <gtest/gtest.h>

#include "assoc_harness.hpp"

namespace sctpmap::assoc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint8_t kAck = 3;

// An association that has read a draft peer's INIT with `peer_flags`.
Association established(const Config& c, uint8_t peer_flags = 0) {
  wire::Buffer in;
  wire::encode_init(in, peer_flags);
  return established_after(c, in);
}

// ---- send() ------------------------------------------------------------------

TEST(AssocSend, NotUpBeforePeerInit) {
  Association a{Config{}};
  EXPECT_EQ(a.send(make_message(1), Instant{}).error(), SendError::kNotUp);
  a.start(Instant{});
  EXPECT_EQ(a.send(make_message(1), Instant{}).error(), SendError::kNotUp);
  EXPECT_FALSE(a.can_send(1) && a.state() == State::kEstablished);
}

TEST(AssocSend, SizeLimitsFollowOurInitFlags) {
  Config c;
  c.sndbuf = 1u << 20;
  Association a = established(c);
  EXPECT_EQ(a.send(make_message(0), Instant{}).error(), SendError::kEmpty);
  EXPECT_EQ(a.send(make_message(wire::kMaxDraftMessage + 1), Instant{}).error(), SendError::kTooBig);
  ASSERT_TRUE(a.send(make_message(wire::kMaxDraftMessage), Instant{}).ok());
  EXPECT_EQ(a.pending_tx().size(), 65536u);  // Length 65535, padded
  EXPECT_EQ(a.pending_tx()[2], 0xFF);
  EXPECT_EQ(a.pending_tx()[3], 0xFF);

  c.init_flags = wire::kInitDraftFlags;  // no TSN, stream word or PPID: 12 more bytes
  Association b = established(c);
  EXPECT_EQ(b.send(make_message(65532), Instant{}).error(), SendError::kTooBig);
  EXPECT_TRUE(b.send(make_message(65531), Instant{}).ok());
}

TEST(AssocSend, StreamMustExist) {
  Association a = established(Config{});  // draft peer: our 10 outbound streams
  EXPECT_EQ(a.outbound_streams(), 10);
  EXPECT_EQ(a.send(make_message(1, 10), Instant{}).error(), SendError::kInvalidStream);
  EXPECT_TRUE(a.send(make_message(1, 9), Instant{}).ok());
}

TEST(AssocSend, SendBufferBoundsUnackedBytes) {
  Config c;
  c.sndbuf = 1000;
  Association a = established(c);
  ASSERT_TRUE(a.send(make_message(600), Instant{}).ok());
  EXPECT_TRUE(a.can_send(400));
  EXPECT_FALSE(a.can_send(401));
  EXPECT_EQ(a.send(make_message(401), Instant{}).error(), SendError::kNoBuffer);
  ASSERT_TRUE(a.send(make_message(400), Instant{}).ok());
  EXPECT_EQ(a.unacked_bytes(), 1000u);
  EXPECT_EQ(a.unacked_count(), 2u);
  // An ACK frees room.
  wire::Buffer ack;
  wire::encode_ack(ack, true, 0);
  CollectSink sink;
  EXPECT_EQ(a.receive(wire::Bytes(ack), Instant{}, sink), ack.size());
  EXPECT_EQ(a.unacked_bytes(), 400u);
  EXPECT_TRUE(a.can_send(600));
}

TEST(AssocSend, OversizedMessageGoesWhenQueueIsEmpty) {
  Config c;
  c.sndbuf = 100;
  Association a = established(c);
  EXPECT_TRUE(a.can_send(5000));
  ASSERT_TRUE(a.send(make_message(5000), Instant{}).ok());
  EXPECT_EQ(a.send(make_message(1), Instant{}).error(), SendError::kNoBuffer);
}

TEST(AssocSend, TsnAndPerStreamSsnAndUnordered) {
  Harness h(Config{});
  h.start();
  constexpr uint16_t kUnordered = 1;  // SCTP_UNORDERED
  struct {
    uint16_t sid;
    uint16_t flags;
    uint16_t ssn;
  } const plan[] = {{1, 0, 0}, {1, kUnordered, 0}, {2, 0, 0}, {1, 0, 1}, {2, kUnordered, 0}, {2, 0, 1}};
  for (const auto& p : plan) ASSERT_TRUE(h.a().assoc.send(make_message(4, p.sid, 0, 0, 0, p.flags), h.now).ok());
  EXPECT_EQ(h.a().assoc.next_tsn(), 6u);
  h.pump();
  ASSERT_EQ(h.b().taken.size(), 6u);
  const auto data = h.a().sent_of(0);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(h.b().taken[i].tsn, i);
    EXPECT_EQ(h.b().taken[i].sid, plan[i].sid);
    EXPECT_EQ(h.b().taken[i].ssn, plan[i].ssn) << i;
    EXPECT_EQ(h.b().taken[i].unordered, plan[i].flags == kUnordered);
    // Fragmentation negotiated: a whole message carries B|E (docs/PROTOCOL.md 15.2).
    const uint8_t u = plan[i].flags == kUnordered ? wire::kDataUnordered : 0;
    EXPECT_EQ(data[i]->flags, u | wire::kDataBegin | wire::kDataEnd);
  }
}

// ---- ACKs --------------------------------------------------------------------

TEST(AssocAck, ExactlyOneAckPerDeliveredData) {
  Harness h(Config{});
  h.b().manual = true;
  h.start();
  for (uint32_t i = 0; i < 10; ++i) ASSERT_TRUE(h.a().assoc.send(make_message(8), h.now).ok());
  h.pump();
  EXPECT_EQ(h.b().app_queue.size(), 10u);
  EXPECT_TRUE(h.b().sent_of(kAck).empty());  // handed to the sink is not delivered
  h.take(h.b(), 3);
  h.pump();
  ASSERT_EQ(h.b().sent_of(kAck).size(), 3u);
  EXPECT_EQ(h.a().assoc.unacked_count(), 7u);
  // Claiming more than the sink accepted only ACKs what it did accept.
  h.b().assoc.delivered(100, h.now);
  h.b().assoc.delivered(5, h.now);
  h.pump();
  const auto acks = h.b().sent_of(kAck);
  ASSERT_EQ(acks.size(), 10u);
  for (uint32_t i = 0; i < 10; ++i) EXPECT_EQ(acks[i]->bytes[7], i);  // cum_tsn 0..9
  EXPECT_EQ(h.a().assoc.unacked_count(), 0u);
  EXPECT_TRUE(h.a().events_of<CommLost>().empty());
}

// ---- backpressure --------------------------------------------------------------

TEST(AssocBackpressure, RefusedDataIsReadAgainNotSkipped) {
  Association a = established(Config{});
  wire::Buffer in;
  for (uint8_t i = 0; i < 3; ++i) {
    const uint8_t payload[] = {i, i};
    wire::encode_data(in, wire::DataFormat{}, 0, i, 0, i, 0, wire::Bytes(payload));
  }
  const size_t chunk = in.size() / 3;
  CollectSink sink;
  sink.answers = {true, false};
  size_t used = a.receive(wire::Bytes(in), Instant{}, sink);
  EXPECT_EQ(used, chunk);  // stopped before the refused chunk
  ASSERT_EQ(sink.got.size(), 1u);
  sink.answers = {false};
  sink.calls = 0;
  EXPECT_EQ(a.receive(wire::Bytes(in).subspan(used), Instant{}, sink), 0u);  // refused again, first chunk
  sink.answers.clear();
  used += a.receive(wire::Bytes(in).subspan(used), Instant{}, sink);
  EXPECT_EQ(used, in.size());
  ASSERT_EQ(sink.got.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(sink.got[i].tsn, i);
    EXPECT_EQ(sink.got[i].payload[0], i);
  }
  a.delivered(3, Instant{});
  EXPECT_EQ(a.pending_tx().size(), 3u * 8u);  // three ACKs with TSN
}

TEST(AssocBackpressure, ImplicitTsnSurvivesRefusal) {
  // With T the reader numbers DATA itself: a refusal must not advance it.
  Association a = established(Config{}, wire::kInitOmitTsn);
  wire::Buffer in;
  const uint8_t payload[] = {7};
  const wire::DataFormat fmt = wire::DataFormat::from_init_flags(wire::kInitOmitTsn);
  for (int i = 0; i < 2; ++i) wire::encode_data(in, fmt, 0, 0, 0, 0, 0, wire::Bytes(payload));
  CollectSink sink;
  sink.answers = {false, true, true};
  EXPECT_EQ(a.receive(wire::Bytes(in), Instant{}, sink), 0u);
  EXPECT_EQ(a.receive(wire::Bytes(in), Instant{}, sink), in.size());
  ASSERT_EQ(sink.got.size(), 2u);
  EXPECT_EQ(sink.got[0].tsn, 0u);
  EXPECT_EQ(sink.got[1].tsn, 1u);
}

TEST(AssocBackpressure, SmallAppQueueLosesAndDuplicatesNothing) {
  for (size_t chop : {size_t{0}, size_t{1}, size_t{3}, size_t{7}}) {
    SCOPED_TRACE(chop);
    Harness h(Config{});
    h.chop = chop;
    h.latency = milliseconds(1);
    h.b().app_capacity = 2;
    h.b().take_every = milliseconds(10);
    h.start();
    h.run_for(milliseconds(5));
    for (uint32_t i = 0; i < 50; ++i) {
      ASSERT_TRUE(h.a().assoc.send(make_message(1 + i * 7, 0, i, 0, static_cast<uint8_t>(i)), h.now).ok());
    }
    h.run_for(seconds(2));
    ASSERT_EQ(h.b().taken.size(), 50u);
    for (uint32_t i = 0; i < 50; ++i) {
      EXPECT_EQ(h.b().taken[i].tsn, i);
      EXPECT_EQ(h.b().taken[i].ppid, i);
      EXPECT_EQ(h.b().taken[i].payload, make_message(1 + i * 7, 0, i, 0, static_cast<uint8_t>(i)).payload);
    }
    EXPECT_EQ(h.b().sent_of(kAck).size(), 50u);
    EXPECT_EQ(h.a().assoc.unacked_count(), 0u);
  }
}

// ---- split points ------------------------------------------------------------

// What one side sends first, as bytes: INIT, CAPABILITY, DATA of several
// shapes and a HEARTBEAT. (ACKs at every split point: the harness test below,
// whose one-byte pieces put a receive() call between any two bytes.)
std::vector<uint8_t> transcript() {
  Association a{Config{}};
  a.start(Instant{});
  // The peer's start as the association under test will send it (INIT and a
  // CAPABILITY offering fragmentation), so both sides read DATA flags alike.
  const wire::Buffer in = start_bytes(Config{});
  CollectSink sink;
  EXPECT_EQ(a.receive(wire::Bytes(in), Instant{}, sink), in.size());
  for (uint32_t i = 0; i < 5; ++i) EXPECT_TRUE(a.send(make_message(1 + 5 * i, uint16_t(i), i), Instant{}).ok());
  a.on_timeout(Instant{} + seconds(100));  // a heartbeat
  return std::vector<uint8_t>(a.pending_tx().begin(), a.pending_tx().end());
}

TEST(AssocSplit, EveryTwoWaySplitGivesTheSameResult) {
  const std::vector<uint8_t> t = transcript();
  std::vector<uint8_t> want_tx;
  for (size_t cut = 0; cut <= t.size(); ++cut) {
    SCOPED_TRACE(cut);
    Association b{Config{}};
    b.start(Instant{});
    CollectSink sink;
    EXPECT_TRUE(receive_in_two(b, sink, t, cut));
    EXPECT_EQ(b.state(), State::kEstablished);
    ASSERT_EQ(sink.got.size(), 5u);
    for (uint32_t i = 0; i < 5; ++i) {
      EXPECT_EQ(sink.got[i].tsn, i);
      EXPECT_EQ(sink.got[i].sid, i);
      EXPECT_EQ(sink.got[i].ppid, i);
      EXPECT_EQ(sink.got[i].payload, make_message(1 + 5 * i, uint16_t(i), i).payload);
    }
    // Our INIT, CAPABILITY and the HEARTBEAT ACK, identical whatever the cut.
    const std::vector<uint8_t> tx(b.pending_tx().begin(), b.pending_tx().end());
    if (cut == 0) want_tx = tx;
    EXPECT_EQ(tx, want_tx);
    ASSERT_GE(tx.size(), 24u);
    EXPECT_EQ(tx[tx.size() - 24], 5);  // a 24-byte HEARTBEAT ACK comes last
  }
}

TEST(AssocSplit, HarnessPiecesOfEverySizeAgree) {
  std::vector<Received> baseline;
  for (size_t chop = 0; chop <= 17; ++chop) {
    SCOPED_TRACE(chop);
    Config c;
    c.hb_interval = seconds(1);
    Harness h(c);
    h.chop = chop;
    h.latency = milliseconds(3);
    h.start();
    h.run_for(milliseconds(10));
    for (uint32_t i = 0; i < 20; ++i) {
      ASSERT_TRUE(h.a().assoc.send(make_message(i % 9 + 1, uint16_t(i % 4), i, 0, uint8_t(i)), h.now).ok());
      ASSERT_TRUE(h.b().assoc.send(make_message(i % 5 + 1, 0, i), h.now).ok());
    }
    h.run_for(seconds(20));  // heartbeats both ways as well
    EXPECT_TRUE(h.a().events_of<CommLost>().empty());
    EXPECT_EQ(h.a().taken.size(), 20u);
    ASSERT_EQ(h.b().taken.size(), 20u);
    EXPECT_GE(h.a().sent_of(5).size(), 5u);  // heartbeat answers went through
    if (chop == 0) {
      baseline = h.b().taken;
      continue;
    }
    for (size_t i = 0; i < 20; ++i) {
      EXPECT_EQ(h.b().taken[i].payload, baseline[i].payload);
      EXPECT_EQ(h.b().taken[i].sid, baseline[i].sid);
      EXPECT_EQ(h.b().taken[i].ssn, baseline[i].ssn);
    }
  }
}

}  // namespace
}  // namespace sctpmap::assoc::test
