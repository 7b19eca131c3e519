// SPDX-License-Identifier: MIT
// reader.hpp: sequence rules (INIT first and once, promised CAPABILITY next,
// consecutive TSNs with implicit ones filled in, TSN wrap at 2^32), the same
// chunks whatever byte boundaries the stream arrives in, and no state change on
// need-more or error.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "wire/reader.hpp"
#include "wire_test_util.hpp"

namespace sctpmap::wire {
namespace {

using test::append;
using test::describe;
using test::drain;
using test::Drained;
using test::hex;

// A stream of chunks and where each one ends (padding included).
struct Stream {
  Buffer bytes;
  std::vector<size_t> ends;
  void mark() { ends.push_back(bytes.size()); }
};

Bytes text(const char* s) { return Bytes(reinterpret_cast<const uint8_t*>(s), std::char_traits<char>::length(s)); }

// Peer announces every field and a CAPABILITY; we announced all fields too, so
// its ACKs carry the TSN. Covers every chunk type and every padding length.
Stream full_stream() {
  Stream s;
  const DataFormat all{};
  const uint8_t info16[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  encode_init(s.bytes, kInitCapabilityFollows);
  s.mark();
  encode_capability(s.bytes, Capability{4, 5, 0});
  s.mark();
  encode_data(s.bytes, all, 0, 0, 1, 0, 11, text("x"));
  s.mark();
  encode_data(s.bytes, all, kDataUnordered, 1, 2, 0, 11, text("hello world"));
  s.mark();
  encode_ack(s.bytes, true, 0);
  s.mark();
  encode_heartbeat(s.bytes, info16);
  s.mark();
  encode_heartbeat_ack(s.bytes, text("hello"));
  s.mark();
  append(s.bytes, hex("85 00 00 06 ab cd 00 00"));  // an extension we do not know
  s.mark();
  encode_data(s.bytes, all, 0, 2, 1, 1, 11, text("abc"));
  s.mark();
  encode_ack(s.bytes, true, 1);
  s.mark();
  return s;
}

const std::vector<std::string> kFullStreamChunks = {
    "INIT flags=80",
    "CAPABILITY out=4 max_in=5 features=00000000",
    "DATA flags=00 tsn=0 sid=1 ssn=0 ppid=11 payload=78",
    "DATA flags=04 tsn=1 sid=2 ssn=0 ppid=11 payload=68 65 6c 6c 6f 20 77 6f 72 6c 64",
    "ACK cum_tsn=0",
    "HEARTBEAT info=01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10",
    "HEARTBEAT-ACK info=68 65 6c 6c 6f",
    "SKIPPED type=85",
    "DATA flags=00 tsn=2 sid=1 ssn=1 ppid=11 payload=61 62 63",
    "ACK cum_tsn=1",
};

// A draft-only peer that omits everything; we announced T, so its ACKs have no TSN.
Stream minimal_stream() {
  Stream s;
  const DataFormat none = DataFormat::from_init_flags(kInitDraftFlags);
  encode_init(s.bytes, kInitDraftFlags);
  s.mark();
  for (const char* m : {"a", "bb", "ccc", "dddd"}) {
    encode_data(s.bytes, none, 0, 0, 0, 0, 0, text(m));
    s.mark();
  }
  encode_ack(s.bytes, false, 0);
  s.mark();
  encode_heartbeat(s.bytes, {});
  s.mark();
  return s;
}

const std::vector<std::string> kMinimalStreamChunks = {
    "INIT flags=07",
    "DATA flags=00 tsn=0(implicit) sid=0 ssn=0 ppid=0 payload=61",
    "DATA flags=00 tsn=1(implicit) sid=0 ssn=0 ppid=0 payload=62 62",
    "DATA flags=00 tsn=2(implicit) sid=0 ssn=0 ppid=0 payload=63 63 63",
    "DATA flags=00 tsn=3(implicit) sid=0 ssn=0 ppid=0 payload=64 64 64 64",
    "ACK(no tsn) cum_tsn=0",
    "HEARTBEAT info=",
};

struct StreamCase {
  Stream stream;
  uint8_t our_flags;
  std::vector<std::string> chunks;
};

std::vector<StreamCase> stream_cases() {
  return {{full_stream(), 0, kFullStreamChunks}, {minimal_stream(), kInitOmitTsn, kMinimalStreamChunks}};
}

TEST(ReaderStream, WholeStreamDecodes) {
  for (const StreamCase& c : stream_cases()) {
    ChunkReader reader(c.our_flags);
    Buffer buf = c.stream.bytes;
    Drained out;
    drain(reader, buf, out);
    EXPECT_EQ(out.chunks, c.chunks);
    EXPECT_EQ(out.last, Decoded::Status::kNeedMore);
    EXPECT_TRUE(buf.empty());
    EXPECT_TRUE(reader.init_seen());
  }
}

TEST(ReaderStream, EveryTruncatedPrefixNeedsMoreAndKeepsTheTail) {
  for (const StreamCase& c : stream_cases()) {
    const Buffer& all = c.stream.bytes;
    for (size_t cut = 0; cut <= all.size(); ++cut) {
      ChunkReader reader(c.our_flags);
      Buffer buf(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(cut));
      Drained out;
      drain(reader, buf, out);
      size_t complete = 0;
      while (complete < c.stream.ends.size() && c.stream.ends[complete] <= cut) ++complete;
      ASSERT_EQ(out.last, Decoded::Status::kNeedMore) << "cut " << cut;
      ASSERT_EQ(out.chunks, std::vector<std::string>(c.chunks.begin(), c.chunks.begin() + complete)) << cut;
      const size_t done = complete == 0 ? 0 : c.stream.ends[complete - 1];
      EXPECT_EQ(buf.size(), cut - done) << "cut " << cut;  // the partial chunk was not consumed
    }
  }
}

TEST(ReaderStream, CutAtEveryByteBoundaryYieldsTheSameChunks) {
  for (const StreamCase& c : stream_cases()) {
    const Buffer& all = c.stream.bytes;
    for (size_t cut = 0; cut <= all.size(); ++cut) {
      ChunkReader reader(c.our_flags);
      Buffer buf(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(cut));
      Drained out;
      drain(reader, buf, out);
      buf.insert(buf.end(), all.begin() + static_cast<std::ptrdiff_t>(cut), all.end());
      drain(reader, buf, out);
      ASSERT_EQ(out.chunks, c.chunks) << "cut " << cut;
      EXPECT_TRUE(buf.empty());
    }
  }
}

TEST(ReaderStream, OneByteAtATime) {
  for (const StreamCase& c : stream_cases()) {
    ChunkReader reader(c.our_flags);
    Buffer buf;
    Drained out;
    for (uint8_t b : c.stream.bytes) {
      buf.push_back(b);
      drain(reader, buf, out);
    }
    EXPECT_EQ(out.chunks, c.chunks);
    EXPECT_TRUE(buf.empty());
  }
}

TEST(ReaderStream, RandomPieces) {
  uint32_t seed = 12345;
  auto next_random = [&seed] {  // LCG: deterministic, no <random> engine state to reason about
    seed = seed * 1103515245u + 12345u;
    return seed >> 16;
  };
  for (const StreamCase& c : stream_cases()) {
    for (int round = 0; round < 200; ++round) {
      ChunkReader reader(c.our_flags);
      Buffer buf;
      Drained out;
      size_t at = 0;
      while (at < c.stream.bytes.size()) {
        const size_t n = std::min<size_t>(1 + next_random() % 24, c.stream.bytes.size() - at);
        buf.insert(buf.end(), c.stream.bytes.begin() + static_cast<std::ptrdiff_t>(at),
                   c.stream.bytes.begin() + static_cast<std::ptrdiff_t>(at + n));
        at += n;
        drain(reader, buf, out);
      }
      ASSERT_EQ(out.chunks, c.chunks) << "round " << round;
    }
  }
}

// ---- Sequence errors -----------------------------------------------------

struct Snapshot {
  bool init_seen;
  uint8_t peer_flags;
  uint32_t next_tsn;
  bool operator==(const Snapshot&) const = default;
};

Snapshot snapshot(const ChunkReader& r) { return {r.init_seen(), r.peer_init_flags(), r.next_tsn()}; }

// Feeds `prefix` (must decode cleanly), then `bad`: expects `error`, nothing
// consumed and the reader's observable state unchanged.
void expect_error_after(uint8_t our_flags, const Buffer& prefix, const Buffer& bad, Error error,
                        ChunkReader* keep = nullptr) {
  ChunkReader local(our_flags);
  ChunkReader& reader = keep ? *keep : local;
  Buffer buf = prefix;
  Drained out;
  drain(reader, buf, out);
  ASSERT_EQ(out.last, Decoded::Status::kNeedMore);
  ASSERT_TRUE(buf.empty());
  const Snapshot before = snapshot(reader);
  const Decoded d = reader.next(bad);
  EXPECT_EQ(d.status, Decoded::Status::kError) << describe(d);
  EXPECT_EQ(d.error, error) << describe(d);
  EXPECT_EQ(d.consumed, 0u);
  EXPECT_EQ(snapshot(reader), before);
}

const Buffer kInit = hex("01 00 00 04");
const Buffer kInitCap = hex("01 80 00 04");
const Buffer kCap = hex("80 00 00 0c 00 01 00 08 00 01 00 01");
const Buffer kData0 = hex("00 00 00 11 00 00 00 00 00 00 00 00 00 00 00 00 7a 00 00 00");
const Buffer kData1 = hex("00 00 00 11 00 00 00 01 00 00 00 00 00 00 00 00 7a 00 00 00");

Buffer cat(std::initializer_list<Buffer> parts) {
  Buffer out;
  for (const Buffer& p : parts) append(out, p);
  return out;
}

TEST(ReaderErrors, FirstChunkMustBeInit) {
  for (const char* first : {"00 00 00 11 00 00 00 00 00 00 00 00 00 00 00 00 7a 00 00 00", "03 00 00 08 00 00 00 00",
                            "04 00 00 08 00 01 00 04", "05 00 00 08 00 01 00 04", "81 00 00 04",
                            "80 00 00 0c 00 01 00 08 00 01 00 01", "02 00 00 04", "00 00 00 03", "ff ff ff ff"}) {
    SCOPED_TRACE(first);
    expect_error_after(0, {}, hex(first), Error::kNoInit);
  }
}

TEST(ReaderErrors, SecondInit) {
  expect_error_after(0, kInit, kInit, Error::kSecondInit);
  expect_error_after(0, cat({kInit, kData0}), kInitCap, Error::kSecondInit);
  // Even a malformed second INIT is reported as the broken sequence rule.
  expect_error_after(0, kInit, hex("01 00 00 08 00 00 00 00"), Error::kSecondInit);
}

TEST(ReaderErrors, PromisedCapabilityMustComeNext) {
  expect_error_after(0, kInitCap, kData0, Error::kCapabilityMissing);
  expect_error_after(0, kInitCap, hex("81 00 00 04"), Error::kCapabilityMissing);
  expect_error_after(0, kInitCap, hex("04 00 00 08 00 01 00 04"), Error::kCapabilityMissing);
  expect_error_after(0, kInitCap, hex("06 00 00 04"), Error::kCapabilityMissing);
}

TEST(ReaderErrors, CapabilityOnlyWhenPromised) {
  expect_error_after(0, kInit, kCap, Error::kBadCapability);
  expect_error_after(0, cat({kInitCap, kCap}), kCap, Error::kBadCapability);
  expect_error_after(0, cat({kInitCap, kCap, kData0}), kCap, Error::kBadCapability);
}

TEST(ReaderErrors, MalformedPromisedCapabilityLeavesItPending) {
  ChunkReader reader(0);
  expect_error_after(0, kInitCap, hex("80 00 00 0c 00 01 00 08 00 00 00 01"), Error::kBadCapability, &reader);
  // Still waiting for it: DATA is refused, a valid CAPABILITY is accepted.
  EXPECT_EQ(reader.next(kData0).error, Error::kCapabilityMissing);
  EXPECT_EQ(reader.next(kCap).status, Decoded::Status::kChunk);
  EXPECT_EQ(reader.next(kData0).status, Decoded::Status::kChunk);
}

TEST(ReaderErrors, TsnMustBeConsecutiveFromZero) {
  expect_error_after(0, kInit, kData1, Error::kTsnOutOfSequence);
  expect_error_after(0, cat({kInit, kData0}), kData0, Error::kTsnOutOfSequence);
  ChunkReader reader(0);
  expect_error_after(0, cat({kInit, kData0}), kData0, Error::kTsnOutOfSequence, &reader);
  EXPECT_EQ(reader.next_tsn(), 1u);
  const Decoded d = reader.next(kData1);  // the right one still works afterwards
  ASSERT_EQ(d.status, Decoded::Status::kChunk);
  EXPECT_EQ(std::get<Data>(d.chunk).tsn, 1u);
  EXPECT_EQ(reader.next_tsn(), 2u);
}

TEST(ReaderErrors, DecodeErrorsUseThePeerFormat) {
  // The peer announced no PPID: a DATA with 8 value bytes is TSN+stream, no user data.
  expect_error_after(0, hex("01 04 00 04"), hex("00 00 00 0c 00 00 00 00 00 00 00 00"), Error::kDataTooShort);
}

TEST(ReaderErrors, NeedMoreChangesNothing) {
  ChunkReader reader(0);
  const Snapshot fresh = snapshot(reader);
  for (size_t n = 0; n < 4; ++n) {
    EXPECT_EQ(reader.next(Bytes(kInit.data(), n)).status, Decoded::Status::kNeedMore);
    EXPECT_EQ(snapshot(reader), fresh);
  }
  ASSERT_EQ(reader.next(kInit).status, Decoded::Status::kChunk);
  const Snapshot after_init = snapshot(reader);
  for (size_t n = 0; n < kData0.size(); ++n) {
    const Decoded d = reader.next(Bytes(kData0.data(), n));
    EXPECT_EQ(d.status, Decoded::Status::kNeedMore);
    EXPECT_EQ(d.consumed, 0u);
    EXPECT_EQ(snapshot(reader), after_init);
  }
}

// ---- ACK format, state, TSN wrap -----------------------------------------

TEST(ReaderAck, FormatFollowsOurInitFlags) {
  // We omit our TSN (T): the peer's ACKs carry none.
  expect_error_after(kInitOmitTsn, kInit, hex("03 00 00 08 00 00 00 00"), Error::kBadAckLength);
  expect_error_after(0, kInit, hex("03 00 00 04"), Error::kBadAckLength);
  expect_error_after(kInitCapabilityFollows | kInitOmitPpid, kInit, hex("03 00 00 04"), Error::kBadAckLength);
  ChunkReader with_t(kInitOmitTsn);
  ASSERT_EQ(with_t.next(kInit).status, Decoded::Status::kChunk);
  const Decoded d = with_t.next(hex("03 00 00 04"));
  ASSERT_EQ(d.status, Decoded::Status::kChunk);
  EXPECT_FALSE(std::get<Ack>(d.chunk).has_tsn);
}

TEST(ReaderState, InitSetsPeerFormat) {
  ChunkReader reader(0);
  EXPECT_FALSE(reader.init_seen());
  EXPECT_EQ(reader.next_tsn(), 0u);
  ASSERT_EQ(reader.next(hex("01 f5 00 04")).status, Decoded::Status::kChunk);
  EXPECT_TRUE(reader.init_seen());
  EXPECT_EQ(reader.peer_init_flags(), 0x85);  // reserved bits dropped
  // 0x80 promised a CAPABILITY; the peer omits TSN and PPID.
  ASSERT_EQ(reader.next(kCap).status, Decoded::Status::kChunk);
  const Buffer data = hex("00 00 00 09 00 07 00 03 61 00 00 00");  // outlives the payload view
  const Decoded d = reader.next(data);
  ASSERT_EQ(d.status, Decoded::Status::kChunk);
  EXPECT_EQ(describe(d.chunk), "DATA flags=00 tsn=0(implicit) sid=7 ssn=3 ppid=0 payload=61");
}

Buffer data_with_tsn(uint32_t tsn) {
  Buffer out;
  encode_data(out, DataFormat{}, 0, tsn, 0, 0, 0, text("w"));
  return out;
}

TEST(ReaderTsn, ExplicitTsnWrapsAt2To32) {
  ChunkReader reader(0);
  ASSERT_EQ(reader.next(kInit).status, Decoded::Status::kChunk);
  ChunkReaderTestAccess::set_next_tsn(reader, 0xFFFFFFFE);
  for (uint32_t tsn : {0xFFFFFFFEu, 0xFFFFFFFFu, 0u, 1u}) {
    const Decoded d = reader.next(data_with_tsn(tsn));
    ASSERT_EQ(d.status, Decoded::Status::kChunk) << describe(d);
    EXPECT_EQ(std::get<Data>(d.chunk).tsn, tsn);
  }
  EXPECT_EQ(reader.next_tsn(), 2u);
  EXPECT_EQ(reader.next(data_with_tsn(0xFFFFFFFF)).error, Error::kTsnOutOfSequence);
}

TEST(ReaderTsn, ImplicitTsnWrapsAt2To32) {
  ChunkReader reader(0);
  ASSERT_EQ(reader.next(hex("01 07 00 04")).status, Decoded::Status::kChunk);
  ChunkReaderTestAccess::set_next_tsn(reader, 0xFFFFFFFD);
  const Buffer data = hex("00 00 00 05 77 00 00 00");
  for (uint32_t tsn : {0xFFFFFFFDu, 0xFFFFFFFEu, 0xFFFFFFFFu, 0u, 1u}) {
    const Decoded d = reader.next(data);
    ASSERT_EQ(d.status, Decoded::Status::kChunk);
    EXPECT_FALSE(std::get<Data>(d.chunk).has_tsn);
    EXPECT_EQ(std::get<Data>(d.chunk).tsn, tsn);
  }
  EXPECT_EQ(reader.next_tsn(), 2u);
}

TEST(ReaderTsn, NonDataChunksDoNotAdvanceTsn) {
  ChunkReader reader(0);
  Buffer buf = cat({kInit, hex("03 00 00 08 00 00 00 05"), hex("81 00 00 04"), hex("04 00 00 08 00 01 00 04"),
                    kData0, hex("05 00 00 08 00 01 00 04"), kData1});
  Drained out;
  drain(reader, buf, out);
  EXPECT_EQ(out.chunks.size(), 7u);
  EXPECT_EQ(out.last, Decoded::Status::kNeedMore);
  EXPECT_EQ(reader.next_tsn(), 2u);
}

}  // namespace
}  // namespace sctpmap::wire
