// SPDX-License-Identifier: MIT
// The association's notification events beyond the life cycle: SenderDry,
// Adaptation (CAPABILITY parameter 4), RemoteError (our ERROR chunk and the
// skip-and-report rule, docs/PROTOCOL.md 16) and PartialDeliveryAborted
// (Config::partial_delivery). PathChange is in assoc_heartbeat_test.cpp.
#include <gtest/gtest.h>

#include "assoc_harness.hpp"

namespace sctpmap::assoc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(AssocSenderDry, ReportedWhenTheLastOutstandingMessageIsAcked) {
  Harness h(Config{});
  h.latency = milliseconds(5);
  h.start();
  h.run_for(milliseconds(20));
  h.a().assoc.report_dry(true);  // the application subscribed (Conn::feed)
  EXPECT_TRUE(h.a().assoc.dry());
  EXPECT_TRUE(h.a().events_of<SenderDry>().empty());  // nothing was sent yet
  for (uint32_t i = 0; i < 3; ++i) ASSERT_TRUE(h.a().assoc.send(make_message(100, 0, 0, i), h.now).ok());
  EXPECT_FALSE(h.a().assoc.dry());
  h.run_for(milliseconds(100));
  EXPECT_TRUE(h.a().assoc.dry());
  ASSERT_EQ(h.a().events_of<SenderDry>().size(), 1u);  // once for the three, not per ACK
  ASSERT_TRUE(h.a().assoc.send(make_message(100), h.now).ok());
  h.run_for(milliseconds(100));
  EXPECT_EQ(h.a().events_of<SenderDry>().size(), 2u);  // dry again after sending again
  EXPECT_TRUE(h.b().events_of<SenderDry>().empty());   // b never sent anything
}

// Unsubscribed, an ACK that drains the queue leaves no event to handle.
TEST(AssocSenderDry, NotQueuedUnlessReported) {
  Harness h(Config{});
  h.latency = milliseconds(5);
  h.start();
  h.run_for(milliseconds(20));
  ASSERT_TRUE(h.a().assoc.send(make_message(100), h.now).ok());
  h.run_for(milliseconds(100));
  EXPECT_TRUE(h.a().assoc.dry());
  EXPECT_TRUE(h.a().events_of<SenderDry>().empty());
}

// Our own ACKs and heartbeat answers waiting to be written are no user
// data: b, which only receives, is dry throughout.
TEST(AssocSenderDry, PendingAcksAreNotUserData) {
  Association b = established_after(Config{}, start_bytes(Config{}));
  b.consume_tx(b.pending_tx().size());
  wire::Buffer in;
  const uint8_t byte = 0x5a;
  wire::encode_data(in, wire::DataFormat{}, wire::kDataBegin | wire::kDataEnd, 0, 0, 0, 0, wire::Bytes(&byte, 1));
  CollectSink sink;
  ASSERT_EQ(b.receive(wire::Bytes(in), Instant{}, sink), in.size());
  b.delivered(1, Instant{});
  EXPECT_FALSE(b.pending_tx().empty());  // the ACK waits to be written
  EXPECT_TRUE(b.dry());
}

TEST(AssocSenderDry, NotDryWhileTheReaderHoldsMessages) {
  Harness h(Config{});
  h.start();
  h.run_for(milliseconds(10));
  h.stall(h.b(), true);
  ASSERT_TRUE(h.a().assoc.send(make_message(100), h.now).ok());
  h.run_for(seconds(5));
  EXPECT_FALSE(h.a().assoc.dry());
  EXPECT_TRUE(h.a().events_of<SenderDry>().empty());
}

TEST(AssocAdaptation, PeerIndicationFollowsCommUp) {
  Config with;
  with.adaptation_ind = 0x11223344;
  Harness h(with, Config{});
  h.start();
  h.run_for(milliseconds(10));
  // b hears a's indication right after its CommUp; a hears none.
  ASSERT_GE(h.b().events.size(), 2u);
  EXPECT_TRUE(std::holds_alternative<CommUp>(h.b().events[0].event));
  const auto* ind = std::get_if<Adaptation>(&h.b().events[1].event);
  ASSERT_NE(ind, nullptr);
  EXPECT_EQ(ind->ind, 0x11223344u);
  EXPECT_TRUE(h.a().events_of<Adaptation>().empty());
}

TEST(AssocAdaptation, StrictModeSendsNoIndication) {
  Config strict;
  strict.adaptation_ind = 7;
  strict.strict_draft = true;
  Harness h(strict, Config{});
  h.start();
  h.run_for(milliseconds(10));
  EXPECT_EQ(h.b().events_of<CommUp>().size(), 1u);
  EXPECT_TRUE(h.b().events_of<Adaptation>().empty());
}

TEST(AssocRemoteError, UnknownReportChunkIsAnsweredWithCause6) {
  Harness h(Config{});
  h.start();
  h.run_for(milliseconds(10));
  // b's "newer version" sends type 0xC5, which a does not know: a skips it,
  // answers with an ERROR chunk, and b reports the cause.
  h.inject(h.b(), {0xC5, 0x07, 0x00, 0x06, 0xAB, 0xCD, 0x00, 0x00});
  h.run_for(milliseconds(10));
  EXPECT_EQ(h.a().assoc.state(), State::kEstablished);
  ASSERT_EQ(h.a().sent_of(0x82).size(), 1u);
  const auto errors = h.b().events_of<RemoteError>();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0]->cause, wire::kCauseUnrecognizedChunk);
  EXPECT_EQ(errors[0]->info, (std::vector<uint8_t>{0xC5, 0x07, 0x00, 0x06, 0xAB, 0xCD, 0, 0}));  // padded
  // A silent-skip type (high bits 10) is not reported.
  h.inject(h.b(), {0x9C, 0x00, 0x00, 0x04});
  h.run_for(milliseconds(10));
  EXPECT_EQ(h.b().events_of<RemoteError>().size(), 1u);
}

TEST(AssocRemoteError, NotSentToAPeerThatDoesNotReadErrors) {
  // b is strict: it sends no CAPABILITY, so a may not send it an ERROR chunk.
  Config strict;
  strict.strict_draft = true;
  Harness h(Config{}, strict);
  h.start();
  h.run_for(milliseconds(10));
  h.inject(h.b(), {0xC5, 0x00, 0x00, 0x04});
  h.run_for(milliseconds(10));
  EXPECT_EQ(h.a().assoc.state(), State::kEstablished);
  EXPECT_TRUE(h.a().sent_of(0x82).empty());
}

TEST(AssocRemoteError, EveryCauseIsOneEvent) {
  Association a = established_after(Config{}, start_bytes(Config{}));
  const wire::Buffer in = {0x82, 0, 0, 0x11, 0, 6, 0, 5, 0xAA, 0, 0, 0, 0, 1, 0, 5, 0xBB, 0, 0, 0};
  CollectSink sink;
  EXPECT_EQ(a.receive(wire::Bytes(in), Instant{}, sink), in.size());
  std::vector<RemoteError> got;
  while (auto e = a.poll_event())
    if (auto* r = std::get_if<RemoteError>(&*e)) got.push_back(*r);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].cause, 6);
  EXPECT_EQ(got[0].info, (std::vector<uint8_t>{0xAA, 0, 0, 0}));
  EXPECT_EQ(got[1].cause, 1);
  EXPECT_EQ(got[1].info, (std::vector<uint8_t>{0xBB, 0, 0, 0}));
}

// DATA on a stream we did not announce, from a peer that reads our ERROR
// chunk: as Linux (sctp_eat_data), dropped but acknowledged in TSN order,
// answered with an Invalid Stream Identifier cause; the association lives.
TEST(AssocRemoteError, InvalidStreamIsDroppedAckedAndAnsweredWithCause1) {
  Association a = established_after(Config{}, start_bytes(Config{}));  // 10 inbound streams
  wire::Buffer in;
  const uint8_t one[] = {0x11};
  constexpr uint8_t kWhole = wire::kDataBegin | wire::kDataEnd;  // fragmentation is negotiated
  wire::encode_data(in, wire::DataFormat{}, kWhole, 0, 1, 0, 7, wire::Bytes(one));   // TSN 0, stream 1
  wire::encode_data(in, wire::DataFormat{}, kWhole, 1, 20, 0, 7, wire::Bytes(one));  // TSN 1, stream 20: none
  wire::encode_data(in, wire::DataFormat{}, kWhole, 2, 2, 0, 7, wire::Bytes(one));   // TSN 2, stream 2
  CollectSink sink;
  EXPECT_EQ(a.receive(wire::Bytes(in), Instant{}, sink), in.size());
  EXPECT_EQ(a.state(), State::kEstablished);
  ASSERT_EQ(sink.got.size(), 2u);
  EXPECT_EQ(sink.got[0].sid, 1);
  EXPECT_EQ(sink.got[1].sid, 2);
  const std::vector<uint8_t> error = {0x82, 0, 0, 12, 0, 1, 0, 8, 0, 20, 0, 0};  // cause 1, stream 20
  std::vector<uint8_t> tx(a.pending_tx().begin(), a.pending_tx().end());
  EXPECT_EQ(tx, error) << "no ACK before the application takes TSN 0";
  a.consume_tx(tx.size());
  a.delivered(1, Instant{});  // TSN 0, and with it the dropped TSN 1
  tx.assign(a.pending_tx().begin(), a.pending_tx().end());
  EXPECT_EQ(tx, (std::vector<uint8_t>{3, 0, 0, 8, 0, 0, 0, 0, 3, 0, 0, 8, 0, 0, 0, 1}));
  a.consume_tx(tx.size());
  a.delivered(1, Instant{});  // TSN 2
  tx.assign(a.pending_tx().begin(), a.pending_tx().end());
  EXPECT_EQ(tx, (std::vector<uint8_t>{3, 0, 0, 8, 0, 0, 0, 2}));
  a.consume_tx(tx.size());
  // With nothing waiting for the application, the ACK goes at once.
  wire::Buffer more;
  wire::encode_data(more, wire::DataFormat{}, kWhole, 3, 11, 0, 7, wire::Bytes(one));
  EXPECT_EQ(a.receive(wire::Bytes(more), Instant{}, sink), more.size());
  tx.assign(a.pending_tx().begin(), a.pending_tx().end());
  EXPECT_EQ(tx, (std::vector<uint8_t>{0x82, 0, 0, 12, 0, 1, 0, 8, 0, 11, 0, 0, 3, 0, 0, 8, 0, 0, 0, 3}));
  EXPECT_EQ(a.state(), State::kEstablished);
}

// A message of three fragments from a peer that negotiated fragmentation.
std::vector<uint8_t> three_fragments(size_t* first_two_end) {
  Config c;
  c.sndbuf = 1u << 20;
  Association a(c);
  a.start(Instant{});
  const wire::Buffer in = start_bytes(Config{});
  CollectSink sink;
  EXPECT_EQ(a.receive(wire::Bytes(in), Instant{}, sink), in.size());
  EXPECT_TRUE(a.send(make_message(2 * wire::kMaxDraftMessage + 10, 3, 9), Instant{}).ok());
  std::vector<uint8_t> t(a.pending_tx().begin(), a.pending_tx().end());
  const size_t start = start_bytes(c).size();
  const size_t fragment = (wire::kMaxDraftMessage + 16 + 3) & ~size_t{3};
  *first_two_end = start + 2 * fragment;
  return t;
}

// The receiving side, started, in partial delivery mode or not.
Association receiver(bool partial_delivery) {
  Config c;
  c.partial_delivery = partial_delivery;
  Association b(c);
  b.start(Instant{});
  return b;
}

TEST(AssocPartialDelivery, PiecesAsTheyComeThenAbortedBeforeCommLost) {
  size_t cut = 0;
  const std::vector<uint8_t> t = three_fragments(&cut);
  Association b = receiver(true);
  CollectSink sink;
  EXPECT_EQ(b.receive(wire::Bytes(t).first(cut), Instant{}, sink), cut);
  ASSERT_EQ(sink.got.size(), 2u);  // two pieces handed out, the last not yet here
  EXPECT_EQ(sink.got[0].payload.size(), wire::kMaxDraftMessage);
  EXPECT_EQ(sink.got[0].sid, 3);
  b.on_transport_error(true, Instant{});
  std::vector<Event> events;
  while (auto e = b.poll_event()) events.push_back(*e);
  ASSERT_EQ(events.size(), 3u);  // CommUp, PartialDeliveryAborted, CommLost
  const auto* pd_event = std::get_if<PartialDeliveryAborted>(&events[1]);
  ASSERT_NE(pd_event, nullptr);
  EXPECT_EQ(pd_event->sid, 3);
  EXPECT_EQ(pd_event->ssn, 0);
  EXPECT_TRUE(std::holds_alternative<CommLost>(events[2]));
}

TEST(AssocPartialDelivery, CompleteMessageIsAckedPerFragmentAndNotAborted) {
  size_t cut = 0;
  const std::vector<uint8_t> t = three_fragments(&cut);
  Association b = receiver(true);
  CollectSink sink;
  EXPECT_EQ(b.receive(wire::Bytes(t), Instant{}, sink), t.size());
  ASSERT_EQ(sink.got.size(), 3u);
  EXPECT_EQ(sink.got[2].payload.size(), 10u);
  const size_t before = b.pending_tx().size();
  b.delivered(1, Instant{});  // the application took the one message: three ACKs
  EXPECT_EQ(b.pending_tx().size() - before, 3u * 8u);
  b.on_transport_error(true, Instant{});
  while (auto e = b.poll_event()) EXPECT_FALSE(std::holds_alternative<PartialDeliveryAborted>(*e));
}

TEST(AssocPartialDelivery, WholeModeKeepsTheMessageUntilItsEnd) {
  size_t cut = 0;
  const std::vector<uint8_t> t = three_fragments(&cut);
  Association b = receiver(false);
  CollectSink sink;
  EXPECT_EQ(b.receive(wire::Bytes(t).first(cut), Instant{}, sink), cut);
  EXPECT_TRUE(sink.got.empty());
  b.on_transport_error(true, Instant{});
  while (auto e = b.poll_event()) EXPECT_FALSE(std::holds_alternative<PartialDeliveryAborted>(*e));
}

// SCTP_PARTIAL_DELIVERY_POINT (Config::pd_point, a one-to-many socket's):
// what a sink sees, piece by piece.
struct PieceSink final : DeliverySink {
  struct Got {
    size_t size;
    bool piece, more;
    uint8_t first;
  };
  std::vector<Got> got;
  std::vector<bool> answers;  // scripted answers; true once they run out
  size_t calls = 0;
  bool deliver(const Delivery& d) override {
    const bool ok = calls < answers.size() ? answers[calls] : true;
    ++calls;
    if (ok) got.push_back(Got{d.payload.size(), d.piece, d.more, d.payload.empty() ? uint8_t{0} : d.payload[0]});
    return ok;
  }
};

Association receiver_with_point(size_t pd_point) {
  Config c;
  c.pd_point = pd_point;
  Association b(c);
  b.start(Instant{});
  return b;
}

// Bytes on the wire of one full DATA fragment of three_fragments().
constexpr size_t kFragmentBytes = (wire::kMaxDraftMessage + 16 + 3) & ~size_t{3};

TEST(AssocPartialDeliveryPoint, BelowThePointFragmentsWaitThenWhatIsInIsOnePiece) {
  size_t cut = 0;
  const std::vector<uint8_t> t = three_fragments(&cut);
  Association b = receiver_with_point(100000);  // between one and two fragments
  PieceSink sink;
  EXPECT_EQ(b.receive(wire::Bytes(t).first(cut - kFragmentBytes), Instant{}, sink), cut - kFragmentBytes);
  EXPECT_TRUE(sink.got.empty());  // 65519 bytes in: below the point
  EXPECT_EQ(b.receive(wire::Bytes(t).subspan(cut - kFragmentBytes, kFragmentBytes), Instant{}, sink), kFragmentBytes);
  ASSERT_EQ(sink.got.size(), 1u);  // the point reached: both fragments as one piece
  EXPECT_EQ(sink.got[0].size, 2 * wire::kMaxDraftMessage);
  EXPECT_TRUE(sink.got[0].piece);
  EXPECT_TRUE(sink.got[0].more);
  EXPECT_EQ(b.receive(wire::Bytes(t).subspan(cut), Instant{}, sink), t.size() - cut);
  ASSERT_EQ(sink.got.size(), 2u);  // then each fragment as it comes, the last ending it
  EXPECT_EQ(sink.got[1].size, 10u);
  EXPECT_TRUE(sink.got[1].piece);
  EXPECT_FALSE(sink.got[1].more);
  const size_t before = b.pending_tx().size();
  b.delivered(1, Instant{});  // one message taken: one ACK per fragment, none before
  EXPECT_EQ(b.pending_tx().size() - before, 3u * 8u);
}

TEST(AssocPartialDeliveryPoint, ZeroOrAboveTheMessageDeliversItWhole) {
  for (size_t point : {size_t{0}, size_t{2 * wire::kMaxDraftMessage + 11}}) {
    SCOPED_TRACE(point);
    size_t cut = 0;
    const std::vector<uint8_t> t = three_fragments(&cut);
    Association b = receiver_with_point(point);
    PieceSink sink;
    EXPECT_EQ(b.receive(wire::Bytes(t).first(cut), Instant{}, sink), cut);
    EXPECT_TRUE(sink.got.empty());
    EXPECT_EQ(b.receive(wire::Bytes(t).subspan(cut), Instant{}, sink), t.size() - cut);
    ASSERT_EQ(sink.got.size(), 1u);
    EXPECT_EQ(sink.got[0].size, 2 * wire::kMaxDraftMessage + 10);
    EXPECT_FALSE(sink.got[0].piece);
  }
}

// Linux checks the point only before the last fragment is in: a message
// whose end reaches it is a whole message, not a piece.
TEST(AssocPartialDeliveryPoint, PointReachedByTheLastFragmentIsWhole) {
  size_t cut = 0;
  const std::vector<uint8_t> t = three_fragments(&cut);
  Association b = receiver_with_point(2 * wire::kMaxDraftMessage + 10);
  PieceSink sink;
  EXPECT_EQ(b.receive(wire::Bytes(t), Instant{}, sink), t.size());
  ASSERT_EQ(sink.got.size(), 1u);
  EXPECT_FALSE(sink.got[0].piece);
}

// A sink with no room for the first piece (the application's pair is full,
// or another association holds the partial delivery gate): the fragment
// that reached the point is fed again later and counted once.
TEST(AssocPartialDeliveryPoint, RefusedFirstPieceRollsBackAndIsCountedOnce) {
  size_t cut = 0;
  const std::vector<uint8_t> t = three_fragments(&cut);
  Association b = receiver_with_point(100000);
  PieceSink sink;
  sink.answers = {false, false};
  EXPECT_EQ(b.receive(wire::Bytes(t).first(cut), Instant{}, sink), cut - kFragmentBytes);
  EXPECT_EQ(b.receive(wire::Bytes(t).subspan(cut - kFragmentBytes, kFragmentBytes), Instant{}, sink), 0u);
  EXPECT_TRUE(sink.got.empty());
  EXPECT_EQ(b.receive(wire::Bytes(t).subspan(cut - kFragmentBytes), Instant{}, sink), t.size() - cut + kFragmentBytes);
  ASSERT_EQ(sink.got.size(), 2u);
  EXPECT_EQ(sink.got[0].size, 2 * wire::kMaxDraftMessage);  // the second fragment appended once
  EXPECT_EQ(sink.got[1].size, 10u);
  const size_t before = b.pending_tx().size();
  b.delivered(1, Instant{});
  EXPECT_EQ(b.pending_tx().size() - before, 3u * 8u);  // three fragments, three ACKs
  EXPECT_EQ(b.unacked_count(), 0u);
}

// A refused later piece is simply fed again: nothing was appended.
TEST(AssocPartialDeliveryPoint, RefusedLaterPieceIsFedAgain) {
  size_t cut = 0;
  const std::vector<uint8_t> t = three_fragments(&cut);
  Association b = receiver_with_point(1);
  PieceSink sink;
  sink.answers = {true, true, false};
  EXPECT_EQ(b.receive(wire::Bytes(t), Instant{}, sink), cut);
  EXPECT_EQ(b.receive(wire::Bytes(t).subspan(cut), Instant{}, sink), t.size() - cut);
  ASSERT_EQ(sink.got.size(), 3u);  // point 1: every fragment is its own piece
  EXPECT_EQ(sink.got[2].size, 10u);
  EXPECT_FALSE(sink.got[2].more);
  const size_t before = b.pending_tx().size();
  b.delivered(1, Instant{});
  EXPECT_EQ(b.pending_tx().size() - before, 3u * 8u);
}

TEST(AssocPartialDeliveryPoint, CutOffAfterTheFirstPieceIsAbortedBeforeCommLost) {
  size_t cut = 0;
  const std::vector<uint8_t> t = three_fragments(&cut);
  Association b = receiver_with_point(100000);
  PieceSink sink;
  EXPECT_EQ(b.receive(wire::Bytes(t).first(cut), Instant{}, sink), cut);
  ASSERT_EQ(sink.got.size(), 1u);
  b.on_transport_error(true, Instant{});
  std::vector<Event> events;
  while (auto e = b.poll_event()) events.push_back(*e);
  ASSERT_EQ(events.size(), 3u);  // CommUp, PartialDeliveryAborted, CommLost
  const auto* pd_event = std::get_if<PartialDeliveryAborted>(&events[1]);
  ASSERT_NE(pd_event, nullptr);
  EXPECT_EQ(pd_event->sid, 3);
  EXPECT_TRUE(std::holds_alternative<CommLost>(events[2]));
}

TEST(AssocPartialDeliveryPoint, CutOffBeforeThePointIsNotAborted) {
  size_t cut = 0;
  const std::vector<uint8_t> t = three_fragments(&cut);
  Association b = receiver_with_point(200000);
  PieceSink sink;
  EXPECT_EQ(b.receive(wire::Bytes(t).first(cut), Instant{}, sink), cut);
  EXPECT_TRUE(sink.got.empty());
  b.on_transport_error(true, Instant{});
  while (auto e = b.poll_event()) EXPECT_FALSE(std::holds_alternative<PartialDeliveryAborted>(*e));
}

}  // namespace
}  // namespace sctpmap::assoc::test
