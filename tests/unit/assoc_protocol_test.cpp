// SPDX-License-Identifier: MIT
// Start-up and protocol errors: INIT/CAPABILITY negotiation (draft section 3,
// our CAPABILITY extension), the INIT T/S/P flags in both directions, strict
// draft mode, and every malformed-input path ending in CommLost{kProtocolError}.
#include <gtest/gtest.h>

#include "assoc_harness.hpp"

namespace sctpmap::assoc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint8_t kData = 0;
constexpr uint8_t kAck = 3;

struct NullSink final : DeliverySink {
  size_t count = 0;
  bool deliver(const Delivery&) override {
    ++count;
    return true;
  }
};

std::vector<Event> drain(Association& a) {
  std::vector<Event> out;
  while (std::optional<Event> e = a.poll_event()) out.push_back(std::move(*e));
  return out;
}

// ---- what we send first ----------------------------------------------------

TEST(AssocStartup, StrictModeSendsExactlyOneDraftInit) {
  for (uint8_t flags : {uint8_t{0}, uint8_t{7}, uint8_t{0xFF}}) {
    Config c;
    c.strict_draft = true;
    c.init_flags = flags;
    Association a(c);
    a.start(Instant{});
    const wire::Bytes tx = a.pending_tx();
    const std::vector<uint8_t> want{1, static_cast<uint8_t>(flags & 7), 0, 4};
    EXPECT_EQ(std::vector<uint8_t>(tx.begin(), tx.end()), want) << int(flags);
    EXPECT_EQ(a.state(), State::kInitSent);
  }
}

TEST(AssocStartup, DefaultModeOffersCapability) {
  Config c;
  c.outbound_streams = 7;
  c.max_inbound_streams = 9;
  Association a(c);
  a.start(Instant{});
  const wire::Bytes tx = a.pending_tx();
  ASSERT_GE(tx.size(), 8u);
  EXPECT_EQ(tx[0], 1);
  EXPECT_EQ(tx[1], wire::kInitCapabilityFollows);
  const wire::Decoded d = wire::decode_chunk(tx.subspan(4), wire::DecodeContext{});
  ASSERT_EQ(d.status, wire::Decoded::Status::kChunk);
  const auto* cap = std::get_if<wire::Capability>(&d.chunk);
  ASSERT_NE(cap, nullptr);
  EXPECT_EQ(cap->outbound_streams, 7);
  EXPECT_EQ(cap->max_inbound_streams, 9);
  // Fragmentation is offered by default (docs/PROTOCOL.md 15.1), with the
  // default max message of 4 MiB; ERROR chunks are read (section 16).
  EXPECT_EQ(cap->features, wire::kFeatureFragmentation | wire::kFeatureErrorReport);
  EXPECT_FALSE(cap->has_adaptation);  // SCTP_ADAPTATION_LAYER not set
  EXPECT_EQ(cap->max_message, 4194304u);
  EXPECT_EQ(4 + d.consumed, tx.size());
}

TEST(AssocStartup, StreamCountsNegotiatedWithCapability) {
  Config ca;
  ca.outbound_streams = 10;
  ca.max_inbound_streams = 4;
  Config cb;
  cb.outbound_streams = 6;
  cb.max_inbound_streams = 8;
  Harness h(ca, cb);
  h.start();
  const auto up_a = h.a().events_of<CommUp>();
  const auto up_b = h.b().events_of<CommUp>();
  ASSERT_EQ(up_a.size(), 1u);
  ASSERT_EQ(up_b.size(), 1u);
  EXPECT_EQ(up_a[0]->outbound_streams, 8);  // min(10, b's max inbound 8)
  EXPECT_EQ(up_a[0]->inbound_streams, 4);   // min(4, b's outbound 6)
  EXPECT_EQ(up_b[0]->outbound_streams, 4);
  EXPECT_EQ(up_b[0]->inbound_streams, 8);
  EXPECT_EQ(h.a().assoc.outbound_streams(), 8);
  EXPECT_EQ(h.a().assoc.send(make_message(1, 8), h.now).error(), SendError::kInvalidStream);
  EXPECT_TRUE(h.a().assoc.send(make_message(1, 7), h.now).ok());
  EXPECT_TRUE(h.b().assoc.send(make_message(1, 3), h.now).ok());
  h.pump();
  EXPECT_EQ(h.b().taken.size(), 1u);
  EXPECT_EQ(h.a().taken.size(), 1u);
}

TEST(AssocStartup, StrictPeerInteroperates) {
  Config strict;
  strict.strict_draft = true;
  strict.outbound_streams = 10;
  Config ours;
  ours.outbound_streams = 5;
  ours.max_inbound_streams = 3;
  Harness h(strict, ours);
  h.start();
  // b sees a draft peer: its own counts stand. a read b's CAPABILITY.
  const auto up_a = h.a().events_of<CommUp>();
  const auto up_b = h.b().events_of<CommUp>();
  ASSERT_EQ(up_a.size(), 1u);
  ASSERT_EQ(up_b.size(), 1u);
  EXPECT_EQ(up_b[0]->outbound_streams, 5);
  EXPECT_EQ(up_b[0]->inbound_streams, 3);
  EXPECT_EQ(up_a[0]->outbound_streams, 3);
  EXPECT_EQ(up_a[0]->inbound_streams, 5);
  ASSERT_TRUE(h.a().assoc.send(make_message(3, 2, 11), h.now).ok());
  ASSERT_TRUE(h.b().assoc.send(make_message(3, 4, 11), h.now).ok());
  h.run_for(seconds(100));  // heartbeats too
  ASSERT_EQ(h.a().taken.size(), 1u);
  ASSERT_EQ(h.b().taken.size(), 1u);
  EXPECT_EQ(h.a().taken[0].sid, 4);
  EXPECT_EQ(h.b().taken[0].sid, 2);
  EXPECT_TRUE(h.a().sent_of(0x80).empty());  // strict: nothing outside the draft
  EXPECT_TRUE(h.a().events_of<CommLost>().empty());
  EXPECT_TRUE(h.b().events_of<CommLost>().empty());
}

// ---- INIT flags T/S/P, both directions -------------------------------------

size_t data_header(uint8_t flags) {
  return 4 + ((flags & 1) ? 0 : 4) + ((flags & 2) ? 0 : 4) + ((flags & 4) ? 0 : 4);
}

void check_direction(Endpoint& from, Endpoint& to, uint8_t from_flags, uint16_t sid) {
  // The receiver delivered what was sent, minus the fields the sender omitted.
  ASSERT_EQ(to.taken.size(), 2u);
  for (uint32_t i = 0; i < 2; ++i) {
    EXPECT_EQ(to.taken[i].tsn, i);  // implicit TSNs come from position
    EXPECT_EQ(to.taken[i].sid, sid);
    EXPECT_EQ(to.taken[i].ssn, (from_flags & 2) ? 0 : i);
    EXPECT_EQ(to.taken[i].ppid, (from_flags & 4) ? 0u : 11u);
    EXPECT_EQ(to.taken[i].payload, make_message(13 + i, sid, 11, 0, 1).payload);
  }
  const auto data = from.sent_of(kData);
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[0]->length, data_header(from_flags) + 13);
  // The draft: the receiver of an INIT with T omits the TSN from its ACKs.
  const auto acks = to.sent_of(kAck);
  ASSERT_EQ(acks.size(), 2u);
  for (uint32_t i = 0; i < 2; ++i) {
    EXPECT_EQ(acks[i]->length, (from_flags & 1) ? 4u : 8u);
    if (acks[i]->length == 8) {
      EXPECT_EQ(acks[i]->bytes[7], i);
    }
  }
  EXPECT_EQ(from.assoc.unacked_count(), 0u);
}

TEST(AssocInitFlags, EveryCombinationInteroperates) {
  for (bool strict : {false, true}) {
    for (uint8_t fa = 0; fa < 8; ++fa) {
      for (uint8_t fb = 0; fb < 8; ++fb) {
        SCOPED_TRACE(testing::Message() << "strict " << strict << " a " << int(fa) << " b " << int(fb));
        Config ca;
        ca.init_flags = fa;
        ca.strict_draft = strict;
        Config cb;
        cb.init_flags = fb;
        Harness h(ca, cb);
        h.start();
        const uint16_t sid_a = (fa & 2) ? 0 : 3;
        const uint16_t sid_b = (fb & 2) ? 0 : 5;
        for (uint32_t i = 0; i < 2; ++i) {
          ASSERT_TRUE(h.a().assoc.send(make_message(13 + i, sid_a, 11, 0, 1), h.now).ok());
          ASSERT_TRUE(h.b().assoc.send(make_message(13 + i, sid_b, 11, 0, 1), h.now).ok());
        }
        h.pump();
        check_direction(h.a(), h.b(), fa, sid_a);
        check_direction(h.b(), h.a(), fb, sid_b);
      }
    }
  }
}

TEST(AssocInitFlags, OmittedStreamWordMeansStreamZeroOnly) {
  Config c;
  c.init_flags = wire::kInitOmitStream;
  Harness h(c, Config{});
  h.start();
  EXPECT_EQ(h.a().assoc.send(make_message(1, 1), h.now).error(), SendError::kInvalidStream);
  EXPECT_TRUE(h.a().assoc.send(make_message(1, 0), h.now).ok());
}

// ---- malformed input -------------------------------------------------------

struct BadInput {
  const char* name;
  std::vector<uint8_t> bytes;
  wire::Error error;
  Config config{};
};

wire::Buffer init_then(uint8_t flags, std::initializer_list<uint8_t> rest) {
  wire::Buffer b;
  wire::encode_init(b, flags);
  b.insert(b.end(), rest.begin(), rest.end());
  return b;
}

std::vector<BadInput> bad_inputs() {
  std::vector<BadInput> v;
  const uint8_t one[] = {1};
  {
    wire::Buffer b;
    wire::encode_ack(b, true, 0);
    v.push_back({"chunk before INIT", b, wire::Error::kNoInit});
  }
  v.push_back({"second INIT", init_then(0, {1, 0, 0, 4}), wire::Error::kSecondInit});
  v.push_back({"reserved type 2", init_then(0, {2, 0, 0, 4}), wire::Error::kBadType});
  v.push_back({"length below 4", init_then(0, {0, 0, 0, 2}), wire::Error::kBadLength});
  {
    wire::Buffer b = init_then(0, {});
    wire::encode_data(b, wire::DataFormat{}, 0, 1, 0, 0, 0, wire::Bytes(one));
    v.push_back({"DATA TSN skips", b, wire::Error::kTsnOutOfSequence});
  }
  {
    wire::Buffer b = init_then(0, {});
    wire::encode_ack(b, true, 0);
    v.push_back({"ACK with nothing outstanding", b, wire::Error::kAckOutOfSequence});
  }
  {
    wire::Buffer b = init_then(wire::kInitCapabilityFollows, {});
    wire::encode_data(b, wire::DataFormat{}, 0, 0, 0, 0, 0, wire::Bytes(one));
    v.push_back({"promised CAPABILITY missing", b, wire::Error::kCapabilityMissing});
  }
  {
    wire::Buffer b = init_then(wire::kInitCapabilityFollows, {});
    wire::encode_capability(b, wire::Capability{0, 5, 0});
    v.push_back({"CAPABILITY with zero streams", b, wire::Error::kBadCapability});
  }
  {
    wire::Buffer b = init_then(wire::kInitCapabilityFollows, {});
    wire::encode_capability(b, wire::Capability{5, 5, 0});
    wire::encode_data(b, wire::DataFormat{}, 0, 0, 5, 0, 0, wire::Bytes(one));
    v.push_back({"DATA on a stream the peer did not announce", b, wire::Error::kInvalidStream});
  }
  {
    Config c;
    c.max_inbound_streams = 3;
    wire::Buffer b = init_then(0, {});  // draft peer: our own limit applies
    wire::encode_data(b, wire::DataFormat{}, 0, 0, 3, 0, 0, wire::Bytes(one));
    v.push_back({"DATA beyond our max inbound streams", b, wire::Error::kInvalidStream, c});
  }
  return v;
}

void expect_protocol_error(Association& a, wire::Error error) {
  std::vector<Event> ev = drain(a);
  ASSERT_FALSE(ev.empty());
  const auto* lost = std::get_if<CommLost>(&ev.back());
  ASSERT_NE(lost, nullptr);
  EXPECT_EQ(lost->reason, LossReason::kProtocolError);
  EXPECT_EQ(lost->error, error);
  EXPECT_EQ(a.state(), State::kDone);
  EXPECT_TRUE(a.pending_tx().empty());
  EXPECT_FALSE(a.next_deadline());
}

TEST(AssocProtocolError, EveryPathEndsInCommLostWholeBuffer) {
  for (const BadInput& in : bad_inputs()) {
    SCOPED_TRACE(in.name);
    Association a(in.config);
    a.start(Instant{});
    NullSink sink;
    EXPECT_EQ(a.receive(wire::Bytes(in.bytes), Instant{}, sink), in.bytes.size());
    expect_protocol_error(a, in.error);
  }
}

TEST(AssocProtocolError, EveryPathEndsInCommLostByteByByte) {
  // As the engine calls it: keep what was not consumed, append what TCP gives.
  for (const BadInput& in : bad_inputs()) {
    SCOPED_TRACE(in.name);
    Association a(in.config);
    a.start(Instant{});
    NullSink sink;
    std::vector<uint8_t> buf;
    for (uint8_t byte : in.bytes) {
      buf.push_back(byte);
      const size_t used = a.receive(wire::Bytes(buf), Instant{}, sink);
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(used));
    }
    expect_protocol_error(a, in.error);
  }
}

TEST(AssocProtocolError, AckForTheWrongTsnEndsItAndRetrieves) {
  Association a{Config{}};
  a.start(Instant{});
  NullSink sink;
  wire::Buffer in = init_then(0, {});
  ASSERT_EQ(a.receive(wire::Bytes(in), Instant{}, sink), in.size());
  ASSERT_EQ(a.state(), State::kEstablished);
  ASSERT_TRUE(a.send(make_message(5, 0, 0, 42), Instant{}).ok());
  ASSERT_TRUE(a.send(make_message(6, 0, 0, 43), Instant{}).ok());
  a.consume_tx(a.pending_tx().size());
  wire::Buffer ack;
  wire::encode_ack(ack, true, 1);  // must be 0 first
  EXPECT_EQ(a.receive(wire::Bytes(ack), Instant{}, sink), ack.size());
  std::vector<Event> ev = drain(a);
  ASSERT_EQ(ev.size(), 1u + 1u + 2u);  // CommUp, CommLost, 2 x SendFailed
  EXPECT_EQ(std::get<CommLost>(ev[1]).error, wire::Error::kAckOutOfSequence);
  EXPECT_EQ(std::get<SendFailed>(ev[2]).message.context, 42u);
  EXPECT_TRUE(std::get<SendFailed>(ev[2]).was_sent);
  EXPECT_EQ(std::get<SendFailed>(ev[3]).message.context, 43u);
}

TEST(AssocProtocolError, ImplicitTsnAckBeyondOutstandingEndsIt) {
  Config c;
  c.init_flags = wire::kInitOmitTsn;  // peer's ACKs carry no TSN
  Association a(c);
  a.start(Instant{});
  NullSink sink;
  wire::Buffer in = init_then(0, {});
  ASSERT_EQ(a.receive(wire::Bytes(in), Instant{}, sink), in.size());
  ASSERT_TRUE(a.send(make_message(5), Instant{}).ok());
  wire::Buffer acks;
  wire::encode_ack(acks, false, 0);
  wire::encode_ack(acks, false, 0);
  EXPECT_EQ(a.receive(wire::Bytes(acks), Instant{}, sink), acks.size());
  expect_protocol_error(a, wire::Error::kAckOutOfSequence);
}

TEST(AssocProtocolError, UnknownExtensionChunksAreSkipped) {
  Association a{Config{}};
  a.start(Instant{});
  NullSink sink;
  wire::Buffer in = init_then(0, {0x9F, 0, 0, 8, 1, 2, 3, 4, 0xBF, 0xFF, 0, 4});
  EXPECT_EQ(a.receive(wire::Bytes(in), Instant{}, sink), in.size());
  EXPECT_EQ(a.state(), State::kEstablished);
}

TEST(AssocProtocolError, HarnessPeerSendingGarbageIsDroppedBothWays) {
  Harness h(Config{});
  h.start();
  ASSERT_TRUE(h.a().assoc.send(make_message(10, 0, 0, 1), h.now).ok());
  h.b().stalled = true;  // keep the DATA un-ACKed
  h.pump();
  h.inject(h.b(), {0x40, 0, 0, 4});  // reserved type from "b"
  h.pump();
  const auto lost = h.a().events_of<CommLost>();
  ASSERT_EQ(lost.size(), 1u);
  EXPECT_EQ(lost[0]->reason, LossReason::kProtocolError);
  EXPECT_EQ(lost[0]->error, wire::Error::kBadType);
  ASSERT_EQ(h.a().events_of<SendFailed>().size(), 1u);
  EXPECT_TRUE(h.a().events_of<SendFailed>()[0]->was_sent);
}

}  // namespace
}  // namespace sctpmap::assoc::test
