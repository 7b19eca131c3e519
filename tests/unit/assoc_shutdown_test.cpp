// SPDX-License-Identifier: MIT
// Endings: graceful shutdown over TCP half-close (RFC 9260 9.2 mapped, OURS),
// connections that never came up, resets, aborts and message retrieval
// (RFC 6458 6.1.5 SEND_FAILED, the draft's "undelivered message retrieval").
#include <gtest/gtest.h>

#include "assoc_harness.hpp"

namespace sctpmap::assoc::test {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr uint8_t kAck = 3;

// Extension mode (both sides sent CAPABILITY): a's SHUTDOWN chunk goes out
// when the last ACK arrives; b, with nothing of its own outstanding, FINs on
// it; a FINs on b's FIN. With 10 ms latency: ACK +10, b's FIN +20, a's FIN
// +30 after b took the last message.
TEST(AssocShutdown, FinOnlyAfterAllDataAckedExtension) {
  Harness h(Config{});
  h.latency = milliseconds(10);
  h.b().take_every = milliseconds(100);
  h.start();
  h.run_for(milliseconds(50));
  for (uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(h.a().assoc.send(make_message(64, 0, 0, i), h.now).ok());
  h.a().assoc.shutdown(h.now);
  EXPECT_FALSE(h.a().assoc.wants_fin());
  h.run_for(seconds(2));
  ASSERT_EQ(h.b().taken.size(), 5u);
  ASSERT_TRUE(h.a().fin_at);
  EXPECT_EQ(*h.a().fin_at, h.b().taken.back().taken_at + milliseconds(30));
  EXPECT_EQ(h.a().sent_of(0x81).size(), 1u);  // exactly one SHUTDOWN chunk
  EXPECT_EQ(h.b().events_of<PeerShutdown>().size(), 1u);
  EXPECT_EQ(h.a().events_of<ShutdownComplete>().size(), 1u);
  EXPECT_EQ(h.b().events_of<ShutdownComplete>().size(), 1u);
  EXPECT_TRUE(h.a().events_of<SendFailed>().empty());
}

// Draft mode (strict): no SHUTDOWN chunk; FIN as soon as all DATA is ACKed.
TEST(AssocShutdown, FinOnlyAfterAllDataAcked) {
  Config strict;
  strict.strict_draft = true;
  Harness h(strict);
  h.latency = milliseconds(10);
  h.b().take_every = milliseconds(100);
  h.start();
  h.run_for(milliseconds(50));
  for (uint32_t i = 0; i < 5; ++i) ASSERT_TRUE(h.a().assoc.send(make_message(64, 0, 0, i), h.now).ok());
  h.a().assoc.shutdown(h.now);
  EXPECT_EQ(h.a().assoc.state(), State::kShutdownPending);
  EXPECT_EQ(h.a().assoc.send(make_message(64), h.now).error(), SendError::kShutdown);
  EXPECT_FALSE(h.a().assoc.wants_fin());
  h.run_for(seconds(2));
  // b's application took one message per 100 ms; the fifth ACK arrived 10 ms
  // after it took the last, and a's FIN followed at once.
  ASSERT_EQ(h.b().taken.size(), 5u);
  ASSERT_TRUE(h.a().fin_at);
  EXPECT_EQ(*h.a().fin_at, h.b().taken.back().taken_at + milliseconds(10));
  EXPECT_EQ(h.b().sent_of(kAck).size(), 5u);
  // b reports the peer's shutdown, flushes, FINs back; both complete.
  EXPECT_EQ(h.b().events_of<PeerShutdown>().size(), 1u);
  EXPECT_EQ(h.a().events_of<PeerShutdown>().size(), 0u);
  EXPECT_EQ(h.a().events_of<ShutdownComplete>().size(), 1u);
  EXPECT_EQ(h.b().events_of<ShutdownComplete>().size(), 1u);
  EXPECT_TRUE(h.a().events_of<SendFailed>().empty());
  EXPECT_EQ(h.a().assoc.state(), State::kDone);
  EXPECT_EQ(h.b().assoc.state(), State::kDone);
}

TEST(AssocShutdown, PeerShutdownStopsSendsAndFlushes) {
  Harness h(Config{});
  h.start();
  h.b().assoc.shutdown(h.now);
  h.a().assoc.on_eof(h.now);  // as if b's FIN arrived (b is not driven here)
  EXPECT_EQ(h.a().assoc.state(), State::kPeerShutdown);
  EXPECT_EQ(h.a().assoc.send(make_message(1), h.now).error(), SendError::kShutdown);
  EXPECT_TRUE(h.a().assoc.wants_fin());
  EXPECT_FALSE(h.a().assoc.next_deadline());  // the peer cannot answer heartbeats
  h.a().assoc.fin_sent(h.now);
  EXPECT_EQ(h.a().assoc.state(), State::kDone);
  // The harness collected CommUp; the rest is still queued.
  std::optional<Event> e = h.a().assoc.poll_event();
  ASSERT_TRUE(e);
  EXPECT_TRUE(std::holds_alternative<PeerShutdown>(*e));
  e = h.a().assoc.poll_event();
  ASSERT_TRUE(e);
  EXPECT_TRUE(std::holds_alternative<ShutdownComplete>(*e));
  EXPECT_FALSE(h.a().assoc.poll_event());
}

TEST(AssocShutdown, SimultaneousShutdownCompletesOnBothSides) {
  Harness h(Config{});
  h.latency = milliseconds(5);
  h.start();
  h.run_for(milliseconds(20));
  h.a().assoc.shutdown(h.now);
  h.b().assoc.shutdown(h.now);
  h.run_for(seconds(1));
  for (Endpoint* e : {&h.a(), &h.b()}) {
    EXPECT_EQ(e->events_of<ShutdownComplete>().size(), 1u);
    EXPECT_TRUE(e->events_of<PeerShutdown>().empty());  // our FIN was out first
    EXPECT_EQ(e->assoc.state(), State::kDone);
  }
}

TEST(AssocShutdown, PendingShutdownStillReceivesAndReportsPeerShutdown) {
  Harness h(Config{});
  h.latency = milliseconds(5);
  h.b().take_every = seconds(1);  // b's application holds a's data for a while
  h.start();
  h.run_for(milliseconds(20));
  ASSERT_TRUE(h.a().assoc.send(make_message(10), h.now).ok());
  h.a().assoc.shutdown(h.now);
  // b sends to a meanwhile; a (shutdown pending) still delivers and ACKs it.
  ASSERT_TRUE(h.b().assoc.send(make_message(20), h.now).ok());
  h.b().assoc.shutdown(h.now);
  h.run_for(seconds(3));
  EXPECT_EQ(h.a().taken.size(), 1u);
  EXPECT_EQ(h.b().taken.size(), 1u);
  for (Endpoint* e : {&h.a(), &h.b()}) {
    EXPECT_EQ(e->events_of<ShutdownComplete>().size(), 1u);
    EXPECT_TRUE(e->events_of<SendFailed>().empty());
  }
}

// Extension mode: a message crossing the peer's SHUTDOWN is still taken and
// ACKed, and both sides complete without SEND_FAILED.
TEST(AssocShutdown, MessageCrossingShutdownIsAckedExtension) {
  Harness h(Config{});
  h.latency = milliseconds(5);
  h.start();
  h.run_for(milliseconds(20));
  h.b().take_every = milliseconds(100);
  h.b().assoc.shutdown(h.now);
  ASSERT_TRUE(h.a().assoc.send(make_message(10), h.now).ok());
  h.run_for(seconds(1));
  ASSERT_EQ(h.b().taken.size(), 1u);
  EXPECT_EQ(h.b().sent_of(kAck).size(), 1u);
  EXPECT_EQ(h.a().events_of<PeerShutdown>().size(), 1u);
  EXPECT_EQ(h.a().events_of<ShutdownComplete>().size(), 1u);
  EXPECT_EQ(h.b().events_of<ShutdownComplete>().size(), 1u);
  EXPECT_TRUE(h.a().events_of<SendFailed>().empty());
  EXPECT_TRUE(h.a().events_of<CommLost>().empty());
}

// Draft mode: b's FIN cannot be followed by ACKs, so a message crossing it is
// un-ACKed when the FIN arrives: a reports COMM_LOST and hands it back, even
// though b's application took it (the ambiguity the extension removes).
TEST(AssocShutdown, NoAckAfterOurFinDraftMessageComesBack) {
  Config strict;
  strict.strict_draft = true;
  Harness h(strict);
  h.latency = milliseconds(5);
  h.start();
  h.run_for(milliseconds(20));
  h.b().take_every = milliseconds(100);
  // b shuts down with nothing outstanding: FIN at once. a's message crosses it.
  h.b().assoc.shutdown(h.now);
  ASSERT_TRUE(h.a().assoc.send(make_message(10), h.now).ok());
  h.run_for(seconds(1));
  ASSERT_EQ(h.b().taken.size(), 1u);  // delivered after b's FIN...
  EXPECT_TRUE(h.b().sent_of(kAck).empty());  // ...but no ACK could be written
  ASSERT_EQ(h.a().events_of<CommLost>().size(), 1u);
  EXPECT_EQ(h.a().events_of<CommLost>()[0]->reason, LossReason::kPeerClosedUnacked);
  ASSERT_EQ(h.a().events_of<SendFailed>().size(), 1u);
  EXPECT_TRUE(h.a().events_of<SendFailed>()[0]->was_sent);
}

TEST(AssocShutdown, ShutdownBeforeUpDrainsOnceUp) {
  Harness h(Config{});
  h.latency = milliseconds(5);
  h.a().assoc.start(h.now);
  h.a().assoc.shutdown(h.now);
  EXPECT_EQ(h.a().assoc.state(), State::kInitSent);
  EXPECT_EQ(h.a().assoc.send(make_message(1), h.now).error(), SendError::kShutdown);
  h.b().assoc.start(h.now);
  h.run_for(seconds(1));
  EXPECT_EQ(h.a().events_of<CommUp>().size(), 1u);
  EXPECT_EQ(h.a().events_of<ShutdownComplete>().size(), 1u);
  EXPECT_EQ(h.b().events_of<PeerShutdown>().size(), 1u);
  EXPECT_EQ(h.b().events_of<ShutdownComplete>().size(), 1u);
}

// A FIN while our messages are un-ACKed: the peer closed (or died) without
// taking them. That is a loss with retrieval, not a graceful shutdown.
TEST(AssocShutdown, PeerFinWithOurMessagesUnackedIsCommLost) {
  Harness h(Config{});
  h.start();
  ASSERT_TRUE(h.a().assoc.send(make_message(100), h.now).ok());
  ASSERT_TRUE(h.a().assoc.send(make_message(200), h.now).ok());
  h.a().assoc.consume_tx(h.a().assoc.pending_tx().size());
  h.a().assoc.on_eof(h.now);
  EXPECT_EQ(h.a().assoc.state(), State::kDone);
  ASSERT_EQ(h.a().events_of<CommLost>().size() + 0u, 0u);  // not collected yet: pull them
  std::vector<Event> evs;
  while (auto e = h.a().assoc.poll_event()) evs.push_back(*e);
  ASSERT_EQ(evs.size(), 3u);
  ASSERT_TRUE(std::holds_alternative<CommLost>(evs[0]));
  EXPECT_EQ(std::get<CommLost>(evs[0]).reason, LossReason::kPeerClosedUnacked);
  ASSERT_TRUE(std::holds_alternative<SendFailed>(evs[1]));
  EXPECT_TRUE(std::get<SendFailed>(evs[1]).was_sent);
  EXPECT_EQ(std::get<SendFailed>(evs[1]).message.payload.size(), 100u);
  EXPECT_EQ(std::get<SendFailed>(evs[2]).message.payload.size(), 200u);
}

TEST(AssocStart, EofBeforeInitIsCantStart) {
  Association a{Config{}};
  a.start(Instant{});
  a.on_eof(Instant{});
  ASSERT_TRUE(std::holds_alternative<CantStart>(*a.poll_event()));
  EXPECT_FALSE(a.poll_event());
  EXPECT_EQ(a.state(), State::kDone);
  EXPECT_TRUE(a.pending_tx().empty());
}

TEST(AssocStart, ResetOrErrorBeforeInitIsCantStart) {
  for (bool reset : {true, false}) {
    Association a{Config{}};
    a.start(Instant{});
    a.on_transport_error(reset, Instant{});
    ASSERT_TRUE(std::holds_alternative<CantStart>(*a.poll_event()));
    EXPECT_EQ(a.state(), State::kDone);
  }
}

TEST(AssocStart, EofAfterPeerInitButBeforeCapabilityIsCantStart) {
  Association a{Config{}};
  a.start(Instant{});
  wire::Buffer in;
  wire::encode_init(in, wire::kInitCapabilityFollows);
  struct : DeliverySink {
    bool deliver(const Delivery&) override { return true; }
  } sink;
  EXPECT_EQ(a.receive(wire::Bytes(in), Instant{}, sink), in.size());
  EXPECT_EQ(a.state(), State::kInitSent);
  a.on_eof(Instant{});
  ASSERT_TRUE(std::holds_alternative<CantStart>(*a.poll_event()));
}

TEST(AssocStart, HarnessEofBeforeInit) {
  Harness h(Config{});
  h.a().assoc.start(h.now);
  h.send_fin(h.b());  // b's host accepted and closed without a word
  h.run_for(seconds(1));
  ASSERT_EQ(h.a().events.size(), 1u);
  EXPECT_TRUE(std::holds_alternative<CantStart>(h.a().events[0].event));
}

// Retrieval: a sends 3 messages that b takes and ACKs, then 10 more while b's
// engine has stopped reading; the window holds two DATA chunks and part of a
// third. b's host then resets.
struct RetrievalFixture {
  Harness h{Config{}};
  std::vector<Message> sent;

  RetrievalFixture() {
    h.latency = milliseconds(1);
    h.start();
    h.run_for(milliseconds(2));
    for (uint32_t i = 0; i < 3; ++i) EXPECT_TRUE(h.a().assoc.send(make_message(1000, 1, 7, 100 + i), h.now).ok());
    h.run_for(milliseconds(10));
    EXPECT_EQ(h.a().assoc.unacked_count(), 0u);
    h.stall(h.b(), true);
    h.window = 2 * 1016 + 500;  // DATA with every field: 16-byte header
    for (uint32_t i = 0; i < 10; ++i) {
      Message m = make_message(1000 + i, static_cast<uint16_t>(i % 3), 1000 + i, 200 + i,
                               static_cast<uint8_t>(i), i % 2 ? 1 : 0);
      sent.push_back(m);
      EXPECT_TRUE(h.a().assoc.send(std::move(m), h.now).ok());
    }
    h.run_for(milliseconds(10));
  }

  void check_failed(LossReason reason) {
    const auto lost = h.a().events_of<CommLost>();
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_EQ(lost[0]->reason, reason);
    const auto failed = h.a().events_of<SendFailed>();
    ASSERT_EQ(failed.size(), 10u);
    for (size_t i = 0; i < failed.size(); ++i) {
      const Message& got = failed[i]->message;
      EXPECT_EQ(failed[i]->was_sent, i < 2) << i;
      EXPECT_EQ(got.payload, sent[i].payload) << i;
      EXPECT_EQ(got.sid, sent[i].sid);
      EXPECT_EQ(got.ppid, sent[i].ppid);
      EXPECT_EQ(got.context, sent[i].context);
      EXPECT_EQ(got.flags, sent[i].flags);
    }
    // CommUp, then CommLost, then the SendFailed in TSN order, then nothing
    // (no SenderDry when the first three were ACKed: not reported here).
    EXPECT_TRUE(std::holds_alternative<CommLost>(h.a().events[1].event));
    EXPECT_EQ(h.a().events.size(), 1u + 1u + 10u);
    EXPECT_EQ(h.a().assoc.state(), State::kDone);
    EXPECT_EQ(h.a().assoc.unacked_count(), 0u);
    EXPECT_TRUE(h.a().assoc.pending_tx().empty());
  }
};

TEST(AssocRetrieval, PeerResetReturnsUnackedInTsnOrder) {
  RetrievalFixture f;
  f.h.send_rst(f.h.b());
  f.h.run_for(milliseconds(10));
  f.check_failed(LossReason::kPeerReset);
}

TEST(AssocRetrieval, TransportErrorReturnsUnacked) {
  RetrievalFixture f;
  f.h.a().assoc.on_transport_error(false, f.h.now);
  f.h.pump();
  f.check_failed(LossReason::kTransportError);
}

TEST(AssocRetrieval, LocalAbortReturnsUnacked) {
  RetrievalFixture f;
  f.h.a().assoc.abort(f.h.now);
  f.h.pump();
  f.check_failed(LossReason::kLocalAbort);
}

TEST(AssocRetrieval, CallsAfterDoneAreNoOps) {
  RetrievalFixture f;
  Association& a = f.h.a().assoc;
  a.abort(f.h.now);
  f.h.pump();
  const size_t events = f.h.a().events.size();
  EXPECT_EQ(a.send(make_message(1), f.h.now).error(), SendError::kShutdown);
  a.abort(f.h.now);
  a.on_eof(f.h.now);
  a.on_transport_error(true, f.h.now);
  a.shutdown(f.h.now);
  a.fin_sent(f.h.now);
  a.delivered(5, f.h.now);
  a.on_timeout(f.h.now + seconds(1000));
  const uint8_t junk[] = {9, 9, 9, 9};
  struct : DeliverySink {
    bool deliver(const Delivery&) override { return true; }
  } sink;
  EXPECT_EQ(a.receive(wire::Bytes(junk), f.h.now, sink), sizeof junk);
  EXPECT_FALSE(a.poll_event());
  EXPECT_EQ(f.h.a().events.size(), events);
  EXPECT_TRUE(a.pending_tx().empty());
  EXPECT_FALSE(a.wants_fin());
}

TEST(AssocRetrieval, AckedMessagesAreNotReturned) {
  Harness h(Config{});
  h.latency = milliseconds(1);
  h.b().take_every = seconds(10);
  h.start();
  h.run_for(milliseconds(5));
  for (uint32_t i = 0; i < 4; ++i) ASSERT_TRUE(h.a().assoc.send(make_message(10, 0, 0, i), h.now).ok());
  h.run_for(seconds(15));  // b's application took exactly one
  ASSERT_EQ(h.b().taken.size(), 1u);
  EXPECT_EQ(h.a().assoc.unacked_count(), 3u);
  h.a().assoc.abort(h.now);
  h.pump();
  const auto failed = h.a().events_of<SendFailed>();
  ASSERT_EQ(failed.size(), 3u);
  for (uint32_t i = 0; i < 3; ++i) {
    EXPECT_EQ(failed[i]->message.context, i + 1);
    EXPECT_TRUE(failed[i]->was_sent);
  }
}

}  // namespace
}  // namespace sctpmap::assoc::test
