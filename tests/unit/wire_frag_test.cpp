// SPDX-License-Identifier: MIT
// The fragmentation extension on the wire (docs/PROTOCOL.md section 15):
// byte-exact vectors for the CAPABILITY max message parameter and DATA's B/E
// bits, need-more on every truncated prefix, the same chunks at every split
// point, and each fragment-order violation as its own protocol error that
// consumes nothing.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire/reader.hpp"
#include "wire_test_util.hpp"

namespace sctpmap::wire {
namespace {

using test::append;
using test::describe;
using test::expect_chunk;
using test::drain;
using test::Drained;
using test::hex;
using test::to_hex;

DecodeContext frag_context(bool fragments) { return DecodeContext{DataFormat{}, true, fragments}; }

Bytes text(const char* s) { return Bytes(reinterpret_cast<const uint8_t*>(s), std::char_traits<char>::length(s)); }

// ---- CAPABILITY: feature bit and max message parameter -------------------

TEST(FragCapability, EncodesFeatureAndMaxMessage) {
  Buffer out;
  encode_capability(out, Capability{10, 65535, kFeatureFragmentation, 4194304});
  EXPECT_EQ(to_hex(out),
            "80 00 00 1c 00 01 00 08 00 0a ff ff 00 02 00 08 00 00 00 01 00 03 00 08 00 40 00 00");
  expect_chunk(out, frag_context(false), "CAPABILITY out=10 max_in=65535 features=00000001 max_message=4194304");
}

TEST(FragCapability, NoMaxMessageParameterWhenZero) {
  Buffer out;
  encode_capability(out, Capability{1, 2, 0, 0});
  EXPECT_EQ(to_hex(out), "80 00 00 14 00 01 00 08 00 01 00 02 00 02 00 08 00 00 00 00");
}

TEST(FragCapability, MaxMessageWithoutTheFeatureIsAccepted) {
  // Harmless: the bit, not the parameter, offers fragmentation.
  expect_chunk(hex("80 00 00 14 00 01 00 08 00 01 00 01 00 03 00 08 00 00 10 00"), frag_context(false),
               "CAPABILITY out=1 max_in=1 features=00000000 max_message=4096");
}

TEST(FragCapability, MalformedMaxMessageIsBadCapability) {
  const char* const cases[] = {
      // fragmentation bit without a max message parameter
      "80 00 00 14 00 01 00 08 00 01 00 01 00 02 00 08 00 00 00 01",
      // max message 0
      "80 00 00 1c 00 01 00 08 00 01 00 01 00 02 00 08 00 00 00 01 00 03 00 08 00 00 00 00",
      // max message parameter 6 long
      "80 00 00 1a 00 01 00 08 00 01 00 01 00 02 00 08 00 00 00 01 00 03 00 06 00 40 00 00",
      // max message twice
      "80 00 00 1c 00 01 00 08 00 01 00 01 00 03 00 08 00 00 10 00 00 03 00 08 00 00 10 00",
  };
  for (const char* c : cases) {
    const Buffer bytes = hex(c);
    const Decoded d = decode_chunk(bytes, frag_context(false));
    EXPECT_EQ(d.status, Decoded::Status::kError) << c;
    EXPECT_EQ(d.error, Error::kBadCapability) << c;
    EXPECT_EQ(d.consumed, 0u);
    for (size_t n = 0; n < bytes.size(); ++n) {
      const Decoded p = decode_chunk(Bytes(bytes.data(), n), frag_context(false));
      EXPECT_NE(p.status, Decoded::Status::kChunk) << "prefix " << n << " of " << c;
      EXPECT_EQ(p.consumed, 0u);
    }
  }
}

// ---- DATA B/E bits -------------------------------------------------------

TEST(FragData, EncodesBeginMiddleEndAndWhole) {
  const DataFormat all{};
  struct {
    uint8_t flags;
    const char* bytes;
    const char* described;
  } const cases[] = {
      {kDataBegin, "00 02 00 12 00 00 00 00 00 02 00 05 00 00 00 0b 61 62 00 00",
       "DATA flags=00 tsn=0 sid=2 ssn=5 ppid=11 payload=61 62 frag=B-"},
      {0, "00 00 00 12 00 00 00 00 00 02 00 05 00 00 00 0b 61 62 00 00",
       "DATA flags=00 tsn=0 sid=2 ssn=5 ppid=11 payload=61 62 frag=--"},
      {kDataEnd, "00 01 00 12 00 00 00 00 00 02 00 05 00 00 00 0b 61 62 00 00",
       "DATA flags=00 tsn=0 sid=2 ssn=5 ppid=11 payload=61 62 frag=-E"},
      {kDataBegin | kDataEnd, "00 03 00 12 00 00 00 00 00 02 00 05 00 00 00 0b 61 62 00 00",
       "DATA flags=00 tsn=0 sid=2 ssn=5 ppid=11 payload=61 62"},
      {kDataUnordered | kDataBegin, "00 06 00 12 00 00 00 00 00 02 00 05 00 00 00 0b 61 62 00 00",
       "DATA flags=04 tsn=0 sid=2 ssn=5 ppid=11 payload=61 62 frag=B-"},
      {kDataUnordered | kDataBegin | kDataEnd, "00 07 00 12 00 00 00 00 00 02 00 05 00 00 00 0b 61 62 00 00",
       "DATA flags=04 tsn=0 sid=2 ssn=5 ppid=11 payload=61 62"},
  };
  for (const auto& c : cases) {
    Buffer out;
    encode_data(out, all, c.flags, 0, 2, 5, 11, text("ab"));
    EXPECT_EQ(to_hex(out), to_hex(hex(c.bytes)));
    expect_chunk(out, frag_context(true), c.described);
  }
}

TEST(FragData, BitsAreReservedWithoutNegotiation) {
  // A draft peer's DATA: B/E are reserved, every chunk is a whole message.
  for (const char* c : {"00 00", "00 01", "00 02", "00 03"}) {
    Buffer bytes = hex(c);
    append(bytes, hex("00 11 00 00 00 00 00 00 00 00 00 00 00 00 7a 00 00 00"));
    expect_chunk(bytes, frag_context(false), "DATA flags=00 tsn=0 sid=0 ssn=0 ppid=0 payload=7a");
  }
}

// ---- The reader: fragment order ------------------------------------------

constexpr uint32_t kOurMax = 10;  // small, so size limits are cheap to hit

ChunkReader frag_reader() { return ChunkReader(0, kFeatureFragmentation, kOurMax); }

Buffer negotiated_start() {
  Buffer b;
  encode_init(b, kInitCapabilityFollows);
  encode_capability(b, Capability{4, 4, kFeatureFragmentation, 100});
  return b;
}

struct Piece {
  Buffer bytes;
  std::string described;
};

// INIT, CAPABILITY, a 3-fragment message with a HEARTBEAT between fragments,
// a whole message, an unordered 2-fragment one whose E carries another SSN
// (meaningless when unordered), then an ACK.
std::vector<Piece> negotiated_stream() {
  const DataFormat all{};
  std::vector<Piece> p;
  auto add = [&p](Buffer b, std::string d) { p.push_back(Piece{std::move(b), std::move(d)}); };
  Buffer b;
  encode_init(b, kInitCapabilityFollows);
  add(b, "INIT flags=80");
  b.clear();
  encode_capability(b, Capability{4, 4, kFeatureFragmentation, 100});
  add(b, "CAPABILITY out=4 max_in=4 features=00000001 max_message=100");
  b.clear();
  encode_data(b, all, kDataBegin, 0, 1, 0, 7, text("abcd"));
  add(b, "DATA flags=00 tsn=0 sid=1 ssn=0 ppid=7 payload=61 62 63 64 frag=B-");
  b.clear();
  encode_data(b, all, 0, 1, 1, 0, 7, text("ef"));
  add(b, "DATA flags=00 tsn=1 sid=1 ssn=0 ppid=7 payload=65 66 frag=--");
  b.clear();
  encode_heartbeat(b, text("hi"));
  add(b, "HEARTBEAT info=68 69");
  b.clear();
  encode_data(b, all, kDataEnd, 2, 1, 0, 7, text("ghij"));
  add(b, "DATA flags=00 tsn=2 sid=1 ssn=0 ppid=7 payload=67 68 69 6a frag=-E");
  b.clear();
  encode_data(b, all, kDataBegin | kDataEnd, 3, 2, 0, 8, text("xyz"));
  add(b, "DATA flags=00 tsn=3 sid=2 ssn=0 ppid=8 payload=78 79 7a");
  b.clear();
  encode_data(b, all, kDataUnordered | kDataBegin, 4, 3, 0, 9, text("12"));
  add(b, "DATA flags=04 tsn=4 sid=3 ssn=0 ppid=9 payload=31 32 frag=B-");
  b.clear();
  encode_data(b, all, kDataUnordered | kDataEnd, 5, 3, 9, 9, text("3"));
  add(b, "DATA flags=04 tsn=5 sid=3 ssn=9 ppid=9 payload=33 frag=-E");
  b.clear();
  encode_ack(b, true, 0);
  add(b, "ACK cum_tsn=0");
  return p;
}

TEST(FragReader, EverySplitPointGivesTheSameChunks) {
  const std::vector<Piece> pieces = negotiated_stream();
  Buffer all;
  std::vector<size_t> ends;
  std::vector<std::string> want;
  for (const Piece& p : pieces) {
    append(all, p.bytes);
    ends.push_back(all.size());
    want.push_back(p.described);
  }
  for (size_t cut = 0; cut <= all.size(); ++cut) {
    ChunkReader reader = frag_reader();
    Buffer buf(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(cut));
    Drained out;
    drain(reader, buf, out);
    // The truncated prefix: complete chunks only, the partial one kept.
    size_t complete = 0;
    while (complete < ends.size() && ends[complete] <= cut) ++complete;
    ASSERT_EQ(out.last, Decoded::Status::kNeedMore) << "cut " << cut;
    ASSERT_EQ(out.chunks, std::vector<std::string>(want.begin(), want.begin() + complete)) << cut;
    EXPECT_EQ(buf.size(), cut - (complete == 0 ? 0 : ends[complete - 1]));
    buf.insert(buf.end(), all.begin() + static_cast<std::ptrdiff_t>(cut), all.end());
    drain(reader, buf, out);
    ASSERT_EQ(out.chunks, want) << "cut " << cut;
    EXPECT_TRUE(buf.empty());
    EXPECT_TRUE(reader.fragmentation());
    EXPECT_EQ(reader.peer_max_message(), 100u);
    EXPECT_FALSE(reader.in_message());
  }
}

TEST(FragReader, NotNegotiatedUnlessBothAnnounce) {
  const DataFormat all{};
  // We announced, the peer did not; then the peer announced and we did not.
  for (int which = 0; which < 2; ++which) {
    ChunkReader reader = which == 0 ? frag_reader() : ChunkReader(0);
    Buffer b;
    encode_init(b, kInitCapabilityFollows);
    encode_capability(b, Capability{4, 4, which == 0 ? 0u : kFeatureFragmentation, which == 0 ? 0u : 100u});
    encode_data(b, all, kDataBegin, 0, 1, 0, 7, text("a"));
    encode_data(b, all, kDataBegin, 1, 1, 0, 7, text("b"));
    Drained out;
    drain(reader, b, out);
    EXPECT_EQ(out.last, Decoded::Status::kNeedMore);
    ASSERT_EQ(out.chunks.size(), 4u);
    EXPECT_EQ(out.chunks[2], "DATA flags=00 tsn=0 sid=1 ssn=0 ppid=7 payload=61");  // whole
    EXPECT_FALSE(reader.fragmentation());
  }
}

// After `prefix` (decoded cleanly), `bad` fails with `error`, consuming
// nothing and changing nothing observable.
void expect_error_after(const Buffer& prefix, const Buffer& bad, Error error) {
  ChunkReader reader = frag_reader();
  Buffer buf = prefix;
  Drained out;
  drain(reader, buf, out);
  ASSERT_EQ(out.last, Decoded::Status::kNeedMore);
  ASSERT_TRUE(buf.empty());
  const uint32_t tsn = reader.next_tsn();
  const bool open = reader.in_message();
  const Decoded d = reader.next(bad);
  EXPECT_EQ(d.status, Decoded::Status::kError) << describe(d);
  EXPECT_EQ(d.error, error) << describe(d) << " want " << to_string(error);
  EXPECT_EQ(d.consumed, 0u);
  EXPECT_EQ(reader.next_tsn(), tsn);
  EXPECT_EQ(reader.in_message(), open);
}

Buffer data(uint8_t flags, uint32_t tsn, uint16_t sid, uint16_t ssn, uint32_t ppid, const char* payload) {
  Buffer b;
  encode_data(b, DataFormat{}, flags, tsn, sid, ssn, ppid, text(payload));
  return b;
}

Buffer with(Buffer a, const Buffer& b) {
  append(a, b);
  return a;
}

TEST(FragReader, OrderViolationsAreBadFragment) {
  const Buffer start = negotiated_start();
  const Buffer begun = with(start, data(kDataBegin, 0, 1, 3, 7, "ab"));
  const Buffer begun_u = with(start, data(kDataUnordered | kDataBegin, 0, 1, 0, 7, "ab"));
  struct {
    const char* name;
    const Buffer& prefix;
    Buffer bad;
  } const cases[] = {
      {"E without B", start, data(kDataEnd, 0, 1, 3, 7, "a")},
      {"middle without B", start, data(0, 0, 1, 3, 7, "a")},
      {"B inside a message", begun, data(kDataBegin, 1, 1, 3, 7, "a")},
      {"whole message inside a message", begun, data(kDataBegin | kDataEnd, 1, 1, 3, 7, "a")},
      {"other stream", begun, data(kDataEnd, 1, 2, 3, 7, "a")},
      {"other SSN", begun, data(0, 1, 1, 4, 7, "a")},
      {"other PPID", begun, data(kDataEnd, 1, 1, 3, 8, "a")},
      {"U appears", begun, data(kDataUnordered | kDataEnd, 1, 1, 3, 7, "a")},
      {"U disappears", begun_u, data(kDataEnd, 1, 1, 0, 7, "a")},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    expect_error_after(c.prefix, c.bad, Error::kBadFragment);
  }
}

TEST(FragReader, ShutdownInsideAMessageIsBadFragment) {
  Buffer shutdown;
  encode_shutdown(shutdown);
  expect_error_after(with(negotiated_start(), data(kDataBegin, 0, 1, 0, 7, "ab")), shutdown, Error::kBadFragment);
}

TEST(FragReader, MessageBeyondOurMaximumIsTooBig) {
  const Buffer start = negotiated_start();
  // 11 bytes in one B fragment; 6 + 5 over two; 4 + 4 + 3 over three.
  expect_error_after(start, data(kDataBegin, 0, 1, 0, 7, "0123456789a"), Error::kMessageTooBig);
  expect_error_after(with(start, data(kDataBegin, 0, 1, 0, 7, "012345")), data(kDataEnd, 1, 1, 0, 7, "6789a"),
                     Error::kMessageTooBig);
  expect_error_after(with(with(start, data(kDataBegin, 0, 1, 0, 7, "0123")), data(0, 1, 1, 0, 7, "4567")),
                     data(kDataEnd, 2, 1, 0, 7, "89a"), Error::kMessageTooBig);
  // Exactly the maximum is fine.
  ChunkReader reader = frag_reader();
  Buffer ok = with(with(start, data(kDataBegin, 0, 1, 0, 7, "012345")), data(kDataEnd, 1, 1, 0, 7, "6789"));
  Drained out;
  drain(reader, ok, out);
  EXPECT_EQ(out.last, Decoded::Status::kNeedMore);
  EXPECT_EQ(out.chunks.size(), 4u);
  EXPECT_FALSE(reader.in_message());
}

}  // namespace
}  // namespace sctpmap::wire
