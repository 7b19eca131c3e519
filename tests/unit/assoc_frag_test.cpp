// SPDX-License-Identifier: MIT
// The fragmentation extension in the association (docs/PROTOCOL.md section
// 15): size limits around every boundary, 4 MiB in both directions, B/E bits
// only when both sides announced the feature, one ACK per fragment once the
// application took the whole message, retrieval of whole messages after a
// failure, sink backpressure on the last fragment, split points inside a
// fragmented message, and malformed fragment sequences as protocol errors.
#include <gtest/gtest.h>

#include "assoc_harness.hpp"

namespace sctpmap::assoc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint8_t kData = 0;
constexpr uint8_t kAck = 3;
constexpr uint16_t kUnordered = 1;  // SCTP_UNORDERED
constexpr size_t kPoint = wire::kMaxDraftMessage;  // 65519: every DATA field present
constexpr size_t kMiB4 = 4194304;

size_t chunks_for(size_t len) { return (len + kPoint - 1) / kPoint; }

Config big_buffers() {
  Config c;
  c.sndbuf = 2 * kMiB4;  // so that max_message() is Config::max_message
  return c;
}

// An established association whose peer started with `peer` config.
Association established(const Config& ours, const Config& peer) { return established_after(ours, start_bytes(peer)); }

// Checks `e` sent exactly the DATA chunks for messages of `sizes`, with B on
// each first fragment and E on each last (fragmentation negotiated).
void expect_fragments(const Endpoint& e, const std::vector<size_t>& sizes) {
  const auto data = e.sent_of(kData);
  size_t i = 0;
  for (size_t len : sizes) {
    const size_t n = chunks_for(len);
    for (size_t k = 0; k < n; ++k, ++i) {
      ASSERT_LT(i, data.size());
      EXPECT_EQ(data[i]->flags & wire::kDataBegin, k == 0 ? wire::kDataBegin : 0) << "chunk " << i;
      EXPECT_EQ(data[i]->flags & wire::kDataEnd, k + 1 == n ? wire::kDataEnd : 0) << "chunk " << i;
      const size_t payload = k + 1 == n ? len - k * kPoint : kPoint;
      EXPECT_EQ(data[i]->length, 16 + payload) << "chunk " << i;
    }
  }
  EXPECT_EQ(i, data.size());
}

// ---- limits ----------------------------------------------------------------

TEST(FragLimits, MaxMessageFollowsNegotiationConfigAndSndbuf) {
  Association a = established(big_buffers(), Config{});
  EXPECT_TRUE(a.fragmentation());
  EXPECT_EQ(a.fragment_point(), kPoint);
  EXPECT_EQ(a.max_message(), kMiB4);
  // The peer reassembles less: its maximum wins.
  Config small_peer;
  small_peer.max_message = 100000;
  EXPECT_EQ(established(big_buffers(), small_peer).max_message(), 100000u);
  // Linux: EMSGSIZE above SO_SNDBUF (default 212992 here).
  Association d = established(Config{}, Config{});
  EXPECT_EQ(d.max_message(), 212992u);
  EXPECT_EQ(d.send(make_message(212993), Instant{}).error(), SendError::kTooBig);
  ASSERT_TRUE(d.send(make_message(212992), Instant{}).ok());
  // The next one waits for room (kNoBuffer / can_send false), it is not too big.
  EXPECT_FALSE(d.can_send(100));
  EXPECT_EQ(d.send(make_message(100), Instant{}).error(), SendError::kNoBuffer);
  // A sndbuf below one chunk never makes single-chunk messages too big.
  Config tiny = Config{};
  tiny.sndbuf = 1000;
  Association t = established(tiny, Config{});
  EXPECT_EQ(t.max_message(), kPoint);
  EXPECT_TRUE(t.send(make_message(kPoint), Instant{}).ok());
}

TEST(FragLimits, SizesAroundEveryBoundary) {
  const std::vector<size_t> sizes = {kPoint, kPoint + 1, 2 * kPoint, 2 * kPoint + 1, kMiB4};
  Harness h(big_buffers());
  h.start();
  for (size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_TRUE(h.a().assoc.send(make_message(sizes[i], 0, uint32_t(i), 0, uint8_t(i)), h.now).ok()) << sizes[i];
  }
  EXPECT_EQ(h.a().assoc.send(make_message(kMiB4 + 1), h.now).error(), SendError::kTooBig);
  h.run_for(seconds(1));
  ASSERT_EQ(h.b().taken.size(), sizes.size());
  uint32_t tsn = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_EQ(h.b().taken[i].payload, make_message(sizes[i], 0, uint32_t(i), 0, uint8_t(i)).payload) << i;
    EXPECT_EQ(h.b().taken[i].ppid, i);
    EXPECT_EQ(h.b().taken[i].tsn, tsn);  // the first fragment's TSN
    tsn += static_cast<uint32_t>(chunks_for(sizes[i]));
  }
  expect_fragments(h.a(), sizes);
  EXPECT_EQ(h.a().assoc.next_tsn(), tsn);
  EXPECT_EQ(h.b().sent_of(kAck).size(), tsn);  // one ACK per fragment
  EXPECT_EQ(h.a().assoc.unacked_count(), 0u);
  EXPECT_EQ(h.a().assoc.unacked_bytes(), 0u);
}

TEST(FragLimits, FourMiBInBothDirections) {
  Harness h(big_buffers());
  h.latency = milliseconds(1);
  h.start();
  h.run_for(milliseconds(5));
  ASSERT_TRUE(h.a().assoc.send(make_message(kMiB4, 1, 5, 0, 1), h.now).ok());
  ASSERT_TRUE(h.b().assoc.send(make_message(kMiB4, 2, 6, 0, 2), h.now).ok());
  h.run_for(seconds(2));
  ASSERT_EQ(h.a().taken.size(), 1u);
  ASSERT_EQ(h.b().taken.size(), 1u);
  EXPECT_EQ(h.b().taken[0].payload, make_message(kMiB4, 1, 5, 0, 1).payload);
  EXPECT_EQ(h.a().taken[0].payload, make_message(kMiB4, 2, 6, 0, 2).payload);
  EXPECT_EQ(h.a().taken[0].sid, 2);
  EXPECT_EQ(h.a().taken[0].ppid, 6u);
  expect_fragments(h.a(), {kMiB4});
  expect_fragments(h.b(), {kMiB4});
  EXPECT_EQ(h.a().sent_of(kAck).size(), 65u);
  EXPECT_EQ(h.b().sent_of(kAck).size(), 65u);
  EXPECT_EQ(h.a().assoc.unacked_count() + h.b().assoc.unacked_count(), 0u);
}

TEST(FragLimits, OrderedUnorderedStreamsAndSmallMessagesInterleaved) {
  Harness h(big_buffers());
  h.chop = 1000;
  h.start();
  struct {
    size_t len;
    uint16_t sid;
    uint16_t flags;
    uint16_t ssn;
  } const plan[] = {{10, 0, 0, 0},          {200000, 2, kUnordered, 0}, {5, 1, 0, 0},
                    {70000, 1, 0, 1},       {3, 2, kUnordered, 0},      {2 * kPoint + 1, 2, 0, 0},
                    {kPoint, 1, 0, 2},      {kPoint + 1, 0, kUnordered, 0}, {1, 0, 0, 1}};
  std::vector<size_t> sizes;
  for (size_t i = 0; i < std::size(plan); ++i) {
    const auto& p = plan[i];
    ASSERT_TRUE(h.a().assoc.send(make_message(p.len, p.sid, uint32_t(i), 0, uint8_t(i), p.flags), h.now).ok());
    sizes.push_back(p.len);
  }
  h.run_for(seconds(1));
  ASSERT_EQ(h.b().taken.size(), std::size(plan));
  for (size_t i = 0; i < std::size(plan); ++i) {
    const Received& r = h.b().taken[i];
    EXPECT_EQ(r.payload, make_message(plan[i].len, plan[i].sid, uint32_t(i), 0, uint8_t(i)).payload) << i;
    EXPECT_EQ(r.sid, plan[i].sid) << i;
    EXPECT_EQ(r.ssn, plan[i].ssn) << i;
    EXPECT_EQ(r.unordered, plan[i].flags == kUnordered) << i;
  }
  expect_fragments(h.a(), sizes);
  // Every fragment of a message carries the message's U flag.
  const auto data = h.a().sent_of(kData);
  EXPECT_EQ(data[1]->flags & wire::kDataUnordered, wire::kDataUnordered);
  EXPECT_EQ(data[4]->flags & wire::kDataUnordered, wire::kDataUnordered);
  EXPECT_EQ(h.a().assoc.unacked_count(), 0u);
}

// SCTP_MAXSEG (Config::maxseg): fragments of at most that much user data,
// B on the first and E on the last, the message whole at the receiver; a
// message that fits one fragment is one DATA chunk.
TEST(FragLimits, MaxsegSetsTheFragmentSize) {
  Config c = big_buffers();
  c.maxseg = 1000;
  Harness h(c, big_buffers());
  h.start();
  ASSERT_TRUE(h.a().assoc.send(make_message(2500, 0, 7, 0, 3), h.now).ok());
  ASSERT_TRUE(h.a().assoc.send(make_message(1000, 0, 8, 0, 4), h.now).ok());
  h.run_for(seconds(1));
  const auto data = h.a().sent_of(kData);
  ASSERT_EQ(data.size(), 4u);
  const size_t payload[] = {1000, 1000, 500, 1000};
  const uint8_t be[] = {wire::kDataBegin, 0, wire::kDataEnd, wire::kDataBegin | wire::kDataEnd};
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(data[i]->length, 16 + payload[i]) << i;
    EXPECT_EQ(data[i]->flags & (wire::kDataBegin | wire::kDataEnd), be[i]) << i;
  }
  ASSERT_EQ(h.b().taken.size(), 2u);
  EXPECT_EQ(h.b().taken[0].payload, make_message(2500, 0, 7, 0, 3).payload);
  EXPECT_EQ(h.b().taken[1].payload, make_message(1000, 0, 8, 0, 4).payload);
  EXPECT_EQ(h.a().assoc.max_message(), kMiB4);  // the message bound is untouched
  // Against a draft peer nothing is fragmented: MAXSEG changes nothing.
  Config draft_peer;
  draft_peer.strict_draft = true;
  Association d = established(c, draft_peer);
  ASSERT_TRUE(d.send(make_message(2500), Instant{}).ok());
  EXPECT_EQ(d.pending_tx().size(), 16u + 2500u);
}

// ---- draft peers and strict mode -------------------------------------------

TEST(FragInterop, DraftPeerGetsWholeMessagesWithoutBeBits) {
  // A draft-only peer: INIT without C, no CAPABILITY.
  Config draft_peer;
  draft_peer.strict_draft = true;
  Association a = established(big_buffers(), draft_peer);
  EXPECT_FALSE(a.fragmentation());
  EXPECT_EQ(a.max_message(), kPoint);
  EXPECT_EQ(a.send(make_message(kPoint + 1), Instant{}).error(), SendError::kTooBig);
  ASSERT_TRUE(a.send(make_message(kPoint), Instant{}).ok());
  ASSERT_TRUE(a.send(make_message(5, 0, 0, 0, 0, kUnordered), Instant{}).ok());
  const wire::Bytes tx = a.pending_tx();
  EXPECT_EQ(tx[1], 0);  // no B/E on a whole message
  EXPECT_EQ(tx[4 * ((16 + kPoint + 3) / 4) + 1], wire::kDataUnordered);
}

TEST(FragInterop, StrictSideAndDefaultSideNeverFragment) {
  Config strict = big_buffers();
  strict.strict_draft = true;
  Harness h(big_buffers(), strict);
  h.start();
  EXPECT_TRUE(h.b().sent_of(0x80).empty());  // strict: no CAPABILITY
  for (Endpoint* e : {&h.a(), &h.b()}) {
    EXPECT_FALSE(e->assoc.fragmentation());
    EXPECT_EQ(e->assoc.max_message(), kPoint);
    EXPECT_EQ(e->assoc.send(make_message(kPoint + 1), h.now).error(), SendError::kTooBig);
    ASSERT_TRUE(e->assoc.send(make_message(kPoint), h.now).ok());
    ASSERT_TRUE(e->assoc.send(make_message(7), h.now).ok());
  }
  h.run_for(seconds(1));
  for (Endpoint* e : {&h.a(), &h.b()}) {
    ASSERT_EQ(e->taken.size(), 2u);
    for (const ChunkSeen* c : e->sent_of(kData)) EXPECT_EQ(c->flags & (wire::kDataBegin | wire::kDataEnd), 0);
  }
}

TEST(FragInterop, NoFeatureWhenMaxMessageFitsOneChunk) {
  Config c = big_buffers();
  c.max_message = kPoint;
  Harness h(c, big_buffers());
  h.start();
  EXPECT_FALSE(h.a().assoc.fragmentation());
  EXPECT_FALSE(h.b().assoc.fragmentation());
  EXPECT_EQ(h.b().assoc.max_message(), kPoint);
}

// ---- ACKs and retrieval ----------------------------------------------------

TEST(FragAck, TakingOneReassembledMessageAcksEachFragment) {
  Harness h(big_buffers());
  h.b().manual = true;
  h.start();
  ASSERT_TRUE(h.a().assoc.send(make_message(2 * kPoint + 1), h.now).ok());
  ASSERT_TRUE(h.a().assoc.send(make_message(4), h.now).ok());
  h.pump();
  ASSERT_EQ(h.b().app_queue.size(), 2u);
  EXPECT_TRUE(h.b().sent_of(kAck).empty());  // nothing taken, nothing ACKed
  h.take(h.b(), 1);
  h.pump();
  EXPECT_EQ(h.b().sent_of(kAck).size(), 3u);
  EXPECT_EQ(h.a().assoc.unacked_count(), 1u);
  h.take(h.b(), 5);  // more than there are: only what was delivered counts
  h.pump();
  EXPECT_EQ(h.b().sent_of(kAck).size(), 4u);
  EXPECT_EQ(h.a().assoc.unacked_count(), 0u);
  EXPECT_TRUE(h.a().events_of<CommLost>().empty());
}

TEST(FragRetrieval, UnackedFragmentedMessagesComeBackWholeAndInOrder) {
  Harness h(big_buffers());
  h.b().manual = true;
  h.window = 300000;  // the last messages are not all written when the RST comes
  h.start();
  h.stall(h.b(), true);  // b's engine stops reading: the window stays full
  const std::vector<size_t> sizes = {3, 200000, 9, 150000, kPoint + 1};
  for (size_t i = 0; i < sizes.size(); ++i) {
    ASSERT_TRUE(h.a().assoc.send(make_message(sizes[i], 0, 0, uint32_t(100 + i), uint8_t(i)), h.now).ok());
  }
  h.pump();
  h.send_rst(h.b());
  h.run_for(seconds(1));
  const auto failed = h.a().events_of<SendFailed>();
  ASSERT_EQ(failed.size(), sizes.size());
  for (size_t i = 0; i < sizes.size(); ++i) {
    EXPECT_EQ(failed[i]->message.context, 100 + i);
    EXPECT_EQ(failed[i]->message.payload, make_message(sizes[i], 0, 0, 0, uint8_t(i)).payload) << i;
  }
  // 300000 bytes of window: the first two messages were written whole, the
  // fourth and fifth were not.
  EXPECT_TRUE(failed[0]->was_sent);
  EXPECT_TRUE(failed[1]->was_sent);
  EXPECT_FALSE(failed[3]->was_sent);
  EXPECT_FALSE(failed[4]->was_sent);
}

TEST(FragRetrieval, PartlyAckedMessageWasDeliveredAndIsNotReturned) {
  Association a = established(big_buffers(), Config{});
  ASSERT_TRUE(a.send(make_message(3 * kPoint), Instant{}).ok());
  ASSERT_TRUE(a.send(make_message(5), Instant{}).ok());
  a.consume_tx(a.pending_tx().size());
  wire::Buffer acks;
  wire::encode_ack(acks, true, 0);
  wire::encode_ack(acks, true, 1);
  CollectSink sink;
  EXPECT_EQ(a.receive(wire::Bytes(acks), Instant{}, sink), acks.size());
  EXPECT_EQ(a.unacked_count(), 2u);  // the message leaves with its last ACK
  EXPECT_EQ(a.unacked_bytes(), 3 * kPoint + 5);
  a.on_transport_error(true, Instant{});
  std::vector<SendFailed> failed;
  while (auto e = a.poll_event()) {
    if (auto* f = std::get_if<SendFailed>(&*e)) failed.push_back(std::move(*f));
  }
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].message.payload.size(), 5u);
}

TEST(FragRetrieval, AckMustFollowFragmentTsns) {
  Association a = established(big_buffers(), Config{});
  ASSERT_TRUE(a.send(make_message(2 * kPoint), Instant{}).ok());
  wire::Buffer acks;
  wire::encode_ack(acks, true, 0);
  wire::encode_ack(acks, true, 0);  // should be 1
  CollectSink sink;
  a.receive(wire::Bytes(acks), Instant{}, sink);
  ASSERT_EQ(a.state(), State::kDone);
  const auto e = a.poll_event();
  ASSERT_TRUE(e && std::holds_alternative<CommLost>(*e));
  EXPECT_EQ(std::get<CommLost>(*e).error, wire::Error::kAckOutOfSequence);
}

}  // namespace
}  // namespace sctpmap::assoc::test
