// SPDX-License-Identifier: MIT
// Receiving fragmented messages (docs/PROTOCOL.md 15.4): the byte stream cut
// around every chunk boundary inside fragmented messages, a sink refusing the
// last fragment, and malformed fragment sequences ending the association.
#include <gtest/gtest.h>

#include "assoc_harness.hpp"

namespace sctpmap::assoc::test {
namespace {

using std::chrono::seconds;

constexpr size_t kPoint = wire::kMaxDraftMessage;
constexpr uint16_t kUnordered = 1;  // SCTP_UNORDERED

struct Sent {
  size_t len;
  uint16_t sid;
  uint16_t flags;
};
const Sent kPlan[] = {{5, 0, 0}, {2 * kPoint + 10, 1, 0}, {7, 1, kUnordered}, {kPoint + 1, 2, kUnordered}};

Message planned(size_t i) {
  return make_message(kPlan[i].len, kPlan[i].sid, uint32_t(40 + i), 0, uint8_t(3 * i), kPlan[i].flags);
}

// Everything one side writes: INIT, CAPABILITY (offering fragmentation),
// then the planned messages, two of them fragmented.
std::vector<uint8_t> transcript() {
  Config c;
  c.sndbuf = 1u << 20;
  Association a(c);
  a.start(Instant{});
  const wire::Buffer in = start_bytes(Config{});
  CollectSink sink;
  EXPECT_EQ(a.receive(wire::Bytes(in), Instant{}, sink), in.size());
  for (size_t i = 0; i < std::size(kPlan); ++i) EXPECT_TRUE(a.send(planned(i), Instant{}).ok());
  return std::vector<uint8_t>(a.pending_tx().begin(), a.pending_tx().end());
}

// Where each chunk of `t` ends, padding included, read from the Length fields.
std::vector<size_t> chunk_ends(const std::vector<uint8_t>& t) {
  std::vector<size_t> ends;
  for (size_t at = 0; at + 4 <= t.size();) {
    const size_t len = static_cast<size_t>(t[at + 2] << 8 | t[at + 3]);
    at += (len + 3) & ~size_t{3};
    ends.push_back(at);
  }
  return ends;
}

void expect_plan(const CollectSink& sink) {
  ASSERT_EQ(sink.got.size(), std::size(kPlan));
  uint32_t tsn = 0;
  for (size_t i = 0; i < std::size(kPlan); ++i) {
    const Received& r = sink.got[i];
    EXPECT_EQ(r.payload, planned(i).payload) << i;
    EXPECT_EQ(r.sid, kPlan[i].sid);
    EXPECT_EQ(r.ppid, 40 + i);
    EXPECT_EQ(r.unordered, kPlan[i].flags == kUnordered);
    EXPECT_EQ(r.tsn, tsn);
    tsn += static_cast<uint32_t>((kPlan[i].len + kPoint - 1) / kPoint);
  }
}

TEST(FragSplit, CutsAroundEveryChunkBoundary) {
  const std::vector<uint8_t> t = transcript();
  const std::vector<size_t> ends = chunk_ends(t);
  ASSERT_EQ(ends.size(), 2 + 1 + 3 + 1 + 2u);  // INIT, CAPABILITY, 7 DATA
  std::vector<size_t> cuts = {0, t.size()};
  for (size_t e : ends) {
    for (size_t d = 0; d <= 8; ++d) {
      if (e >= d) cuts.push_back(e - d);
      if (e + d <= t.size()) cuts.push_back(e + d);
    }
  }
  for (size_t cut : cuts) {
    SCOPED_TRACE(cut);
    Association b{Config{}};
    b.start(Instant{});
    CollectSink sink;
    EXPECT_TRUE(receive_in_two(b, sink, t, cut));
    EXPECT_EQ(b.state(), State::kEstablished);
    expect_plan(sink);
  }
}

TEST(FragSplit, RefusedLastFragmentIsDeliveredOnceLater) {
  const std::vector<uint8_t> t = transcript();
  const std::vector<size_t> ends = chunk_ends(t);
  Association b{Config{}};
  b.start(Instant{});
  CollectSink sink;
  sink.answers = {true, false, true, false, false};  // refuse each fragmented message once or twice
  std::vector<uint8_t> buf = t;
  size_t rounds = 0;
  while (!buf.empty() && rounds++ < 10) {
    const size_t used = b.receive(wire::Bytes(buf), Instant{}, sink);
    // A refusal stops right before the E fragment of the refused message.
    if (!buf.empty() && used < buf.size()) {
      EXPECT_NE(std::find(ends.begin(), ends.end(), t.size() - buf.size() + used), ends.end());
    }
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(used));
  }
  EXPECT_TRUE(buf.empty());
  expect_plan(sink);
  // ACKs follow what the application takes: 1 + 3 fragments for two messages.
  b.consume_tx(b.pending_tx().size());
  b.delivered(2, Instant{});
  EXPECT_EQ(b.pending_tx().size(), 4 * 8u);
}

TEST(FragSplit, HarnessPiecesInsideFragments) {
  for (size_t chop : {size_t{1000}, size_t{4093}, size_t{65536}}) {
    SCOPED_TRACE(chop);
    Config c;
    c.sndbuf = 1u << 20;
    Harness h(c);
    h.chop = chop;
    h.start();
    for (size_t i = 0; i < std::size(kPlan); ++i) ASSERT_TRUE(h.a().assoc.send(planned(i), h.now).ok());
    h.run_for(seconds(1));
    CollectSink as_sink;
    as_sink.got = h.b().taken;
    expect_plan(as_sink);
    EXPECT_EQ(h.a().assoc.unacked_count(), 0u);
  }
}

// ---- malformed sequences ---------------------------------------------------

wire::Buffer data(uint8_t flags, uint32_t tsn, uint16_t sid, size_t len) {
  wire::Buffer b;
  const std::vector<uint8_t> payload(len, 0x5a);
  wire::encode_data(b, wire::DataFormat{}, flags, tsn, sid, 0, 0, wire::Bytes(payload));
  return b;
}

wire::Buffer cat(std::initializer_list<wire::Buffer> parts) {
  wire::Buffer out;
  for (const wire::Buffer& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST(FragErrors, MalformedSequencesEndTheAssociation) {
  using wire::kDataBegin;
  using wire::kDataEnd;
  struct {
    const char* name;
    wire::Buffer bytes;
    wire::Error error;
  } const cases[] = {
      {"E without B", data(kDataEnd, 0, 0, 10), wire::Error::kBadFragment},
      {"middle without B", data(0, 0, 0, 10), wire::Error::kBadFragment},
      {"B twice", cat({data(kDataBegin, 0, 0, 10), data(kDataBegin, 1, 0, 10)}), wire::Error::kBadFragment},
      {"stream changes", cat({data(kDataBegin, 0, 0, 10), data(kDataEnd, 1, 1, 10)}), wire::Error::kBadFragment},
      {"beyond our maximum", cat({data(kDataBegin, 0, 0, kPoint), data(kDataEnd, 1, 0, kPoint)}),
       wire::Error::kMessageTooBig},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    Config small;
    small.max_message = 100000;  // what b announces and reassembles
    Harness h(Config{}, small);
    h.b().manual = true;
    h.start();
    ASSERT_EQ(h.b().assoc.state(), State::kEstablished);
    h.inject(h.a(), c.bytes);
    h.run_for(seconds(1));
    const auto lost = h.b().events_of<CommLost>();
    ASSERT_EQ(lost.size(), 1u);
    EXPECT_EQ(lost[0]->reason, LossReason::kProtocolError);
    EXPECT_EQ(lost[0]->error, c.error);
    EXPECT_TRUE(h.b().app_queue.empty());  // nothing of the bad message was delivered
  }
}

}  // namespace
}  // namespace sctpmap::assoc::test
