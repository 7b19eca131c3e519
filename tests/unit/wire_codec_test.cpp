// SPDX-License-Identifier: MIT
// codec.hpp: byte-exact vectors for every chunk type and INIT flag combination,
// need-more on every truncated prefix, one specific error per malformed case,
// and nothing consumed on any failure.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire/codec.hpp"
#include "wire_test_util.hpp"

namespace sctpmap::wire {
namespace {

using test::describe;
using test::expect_chunk;
using test::hex;
using test::to_hex;

DecodeContext context(uint8_t peer_init_flags, bool ack_has_tsn = true) {
  return DecodeContext{DataFormat::from_init_flags(peer_init_flags), ack_has_tsn};
}

// ---- INIT ----------------------------------------------------------------

TEST(CodecInit, EncodesEveryDraftFlagCombination) {
  for (unsigned flags = 0; flags < 8; ++flags) {
    Buffer out;
    encode_init(out, static_cast<uint8_t>(flags));
    EXPECT_EQ(to_hex(out), to_hex(hex("01 0" + std::to_string(flags) + " 00 04")));
    expect_chunk(out, context(0), "INIT flags=0" + std::to_string(flags));
  }
}

TEST(CodecInit, CapabilityFollowsBit) {
  Buffer out;
  encode_init(out, kInitCapabilityFollows | kInitOmitTsn);
  EXPECT_EQ(to_hex(out), "01 81 00 04");
  expect_chunk(out, context(0), "INIT flags=81");
}

TEST(CodecInit, ReservedFlagBitsAreIgnored) {
  expect_chunk(hex("01 78 00 04"), context(0), "INIT flags=00");
  expect_chunk(hex("01 ff 00 04"), context(0), "INIT flags=87");
}

// ---- DATA: the layout each INIT flag combination implies -----------------

struct DataVector {
  uint8_t init_flags;
  const char* bytes;     // DATA tsn=7 sid=3 ssn=9 ppid=11 payload "abc"
  const char* decoded;   // what the receiver sees
};

// Draft 3.2: each word is present unless the sender's INIT suppressed it;
// Length excludes the one byte of padding after the 3-byte payload.
const DataVector kDataVectors[] = {
    {0x00, "00 00 00 13 | 00 00 00 07 | 00 03 00 09 | 00 00 00 0b | 61 62 63 00",
     "DATA flags=00 tsn=7 sid=3 ssn=9 ppid=11 payload=61 62 63"},
    {0x01, "00 00 00 0f | 00 03 00 09 | 00 00 00 0b | 61 62 63 00",
     "DATA flags=00 tsn=0(implicit) sid=3 ssn=9 ppid=11 payload=61 62 63"},
    {0x02, "00 00 00 0f | 00 00 00 07 | 00 00 00 0b | 61 62 63 00",
     "DATA flags=00 tsn=7 sid=0 ssn=0 ppid=11 payload=61 62 63"},
    {0x03, "00 00 00 0b | 00 00 00 0b | 61 62 63 00",
     "DATA flags=00 tsn=0(implicit) sid=0 ssn=0 ppid=11 payload=61 62 63"},
    {0x04, "00 00 00 0f | 00 00 00 07 | 00 03 00 09 | 61 62 63 00",
     "DATA flags=00 tsn=7 sid=3 ssn=9 ppid=0 payload=61 62 63"},
    {0x05, "00 00 00 0b | 00 03 00 09 | 61 62 63 00",
     "DATA flags=00 tsn=0(implicit) sid=3 ssn=9 ppid=0 payload=61 62 63"},
    {0x06, "00 00 00 0b | 00 00 00 07 | 61 62 63 00",
     "DATA flags=00 tsn=7 sid=0 ssn=0 ppid=0 payload=61 62 63"},
    {0x07, "00 00 00 07 | 61 62 63 00",
     "DATA flags=00 tsn=0(implicit) sid=0 ssn=0 ppid=0 payload=61 62 63"},
};

const uint8_t kAbc[] = {'a', 'b', 'c'};

TEST(CodecData, EveryInitFlagCombinationEncodesAndDecodes) {
  for (const DataVector& v : kDataVectors) {
    SCOPED_TRACE(static_cast<int>(v.init_flags));
    Buffer out;
    encode_data(out, DataFormat::from_init_flags(v.init_flags), 0, 7, 3, 9, 11, kAbc);
    EXPECT_EQ(to_hex(out), to_hex(hex(v.bytes)));
    expect_chunk(hex(v.bytes), context(v.init_flags), v.decoded);
  }
}

// The draft's four INIT examples (flags 0x00, 0x01, 0x05, 0x07) as whole
// streams: the INIT, then an unordered DATA in the layout that INIT announces.
TEST(CodecData, DraftInitFlagExamples) {
  struct Example {
    uint8_t flags;
    const char* stream;
  };
  const Example examples[] = {
      {0x00, "01 00 00 04 | 00 04 00 11 | 00 00 00 00 | 00 02 00 00 | 00 00 00 0b | 5a 00 00 00"},
      {0x01, "01 01 00 04 | 00 04 00 0d | 00 02 00 00 | 00 00 00 0b | 5a 00 00 00"},
      {0x05, "01 05 00 04 | 00 04 00 09 | 00 02 00 00 | 5a 00 00 00"},
      {0x07, "01 07 00 04 | 00 04 00 05 | 5a 00 00 00"},
  };
  const uint8_t z[] = {0x5a};
  for (const Example& e : examples) {
    SCOPED_TRACE(static_cast<int>(e.flags));
    Buffer out;
    encode_init(out, e.flags);
    encode_data(out, DataFormat::from_init_flags(e.flags), kDataUnordered, 0, 2, 0, 11, z);
    EXPECT_EQ(to_hex(out), to_hex(hex(e.stream)));
    const Decoded init = decode_chunk(out, context(0));
    ASSERT_EQ(init.status, Decoded::Status::kChunk);
    ASSERT_EQ(init.consumed, 4u);
    const uint8_t peer = std::get<Init>(init.chunk).flags;
    const Decoded data = decode_chunk(Bytes(out).subspan(4), context(peer));
    ASSERT_EQ(data.status, Decoded::Status::kChunk);
    const auto& d = std::get<Data>(data.chunk);
    EXPECT_TRUE(d.unordered());
    EXPECT_EQ(d.has_tsn, (e.flags & kInitOmitTsn) == 0);
    EXPECT_EQ(d.sid, (e.flags & kInitOmitStream) ? 0 : 2);
    EXPECT_EQ(d.ppid, (e.flags & kInitOmitPpid) ? 0u : 11u);
    EXPECT_EQ(to_hex(d.payload), "5a");
    EXPECT_EQ(data.consumed, out.size() - 4);
  }
}

TEST(CodecData, OnlyTheUnorderedFlagIsKept) {
  expect_chunk(hex("00 fb 00 07 61 62 63 00"), context(0x07),
               "DATA flags=00 tsn=0(implicit) sid=0 ssn=0 ppid=0 payload=61 62 63");
  expect_chunk(hex("00 ff 00 07 61 62 63 00"), context(0x07),
               "DATA flags=04 tsn=0(implicit) sid=0 ssn=0 ppid=0 payload=61 62 63");
}

TEST(CodecData, PaddingOfEveryPayloadLength) {
  const uint8_t payload[] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (size_t n = 1; n <= sizeof payload; ++n) {
    Buffer out;
    encode_data(out, DataFormat{}, 0, 1, 0, 0, 0, Bytes(payload, n));
    const size_t length = 16 + n;
    ASSERT_EQ(out.size(), (length + 3) / 4 * 4);
    EXPECT_EQ(out[3], length);
    for (size_t i = length; i < out.size(); ++i) EXPECT_EQ(out[i], 0) << n;
    const Decoded d = decode_chunk(out, context(0));
    ASSERT_EQ(d.status, Decoded::Status::kChunk);
    EXPECT_EQ(std::get<Data>(d.chunk).payload.size(), n);
    EXPECT_EQ(d.consumed, out.size());
  }
}

TEST(CodecData, PayloadIsAViewIntoTheInput) {
  const Buffer bytes = hex(kDataVectors[0].bytes);
  const Decoded d = decode_chunk(bytes, context(0));
  ASSERT_EQ(d.status, Decoded::Status::kChunk);
  EXPECT_EQ(std::get<Data>(d.chunk).payload.data(), bytes.data() + 16);
}

TEST(CodecData, LargestMessageWithEveryField) {
  Buffer payload(kMaxDraftMessage, 0xab);
  Buffer out;
  encode_data(out, DataFormat{}, 0, 0x01020304, 5, 6, 7, payload);
  ASSERT_EQ(out.size(), 65536u);  // Length 65535 plus one byte of padding
  EXPECT_EQ(to_hex(Bytes(out).first(4)), "00 00 ff ff");
  const Decoded d = decode_chunk(out, context(0));
  ASSERT_EQ(d.status, Decoded::Status::kChunk);
  EXPECT_EQ(d.consumed, 65536u);
  EXPECT_EQ(std::get<Data>(d.chunk).payload.size(), kMaxDraftMessage);
  // Without its padding byte the chunk is not complete.
  EXPECT_EQ(decode_chunk(Bytes(out).first(65535), context(0)).status, Decoded::Status::kNeedMore);
}

TEST(CodecData, LargestMessageWithoutOptionalFields) {
  const DataFormat none = DataFormat::from_init_flags(kInitDraftFlags);
  Buffer payload(none.max_payload(), 0x11);
  Buffer out;
  encode_data(out, none, 0, 0, 0, 0, 0, payload);
  ASSERT_EQ(out.size(), 65536u);
  const Decoded d = decode_chunk(out, context(kInitDraftFlags));
  ASSERT_EQ(d.status, Decoded::Status::kChunk);
  EXPECT_EQ(std::get<Data>(d.chunk).payload.size(), 65531u);
}

// ---- ACK -----------------------------------------------------------------

TEST(CodecAck, WithAndWithoutTsn) {
  Buffer with;
  encode_ack(with, true, 0xdeadbeef);
  EXPECT_EQ(to_hex(with), "03 00 00 08 de ad be ef");
  expect_chunk(with, context(0, true), "ACK cum_tsn=3735928559");
  Buffer without;
  encode_ack(without, false, 0xdeadbeef);
  EXPECT_EQ(to_hex(without), "03 00 00 04");
  expect_chunk(without, context(0, false), "ACK(no tsn) cum_tsn=0");
}

TEST(CodecAck, FlagsAreIgnored) { expect_chunk(hex("03 ff 00 04"), context(0, false), "ACK(no tsn) cum_tsn=0"); }

// ---- HEARTBEAT / HEARTBEAT-ACK --------------------------------------------

TEST(CodecHeartbeat, LengthExcludesTheLastParameterPadding) {
  const uint8_t hello[] = {'h', 'e', 'l', 'l', 'o'};
  Buffer hb;
  encode_heartbeat(hb, hello);
  // Chunk Length 13 = 4 + 4 + 5; parameter Length 9; three bytes of padding.
  EXPECT_EQ(to_hex(hb), "04 00 00 0d 00 01 00 09 68 65 6c 6c 6f 00 00 00");
  expect_chunk(hb, context(0), "HEARTBEAT info=68 65 6c 6c 6f");
  Buffer ack;
  encode_heartbeat_ack(ack, hello);
  EXPECT_EQ(to_hex(ack), "05 00 00 0d 00 01 00 09 68 65 6c 6c 6f 00 00 00");
  expect_chunk(ack, context(0), "HEARTBEAT-ACK info=68 65 6c 6c 6f");
}

TEST(CodecHeartbeat, SixteenByteInfoNeedsNoPadding) {
  Buffer info(16);
  for (size_t i = 0; i < info.size(); ++i) info[i] = static_cast<uint8_t>(i);
  Buffer hb;
  encode_heartbeat(hb, info);
  EXPECT_EQ(to_hex(hb), "04 00 00 18 00 01 00 14 " + to_hex(info));
  expect_chunk(hb, context(0), "HEARTBEAT info=" + to_hex(info));
}

TEST(CodecHeartbeat, EmptyInfo) {
  Buffer hb;
  encode_heartbeat(hb, {});
  EXPECT_EQ(to_hex(hb), "04 00 00 08 00 01 00 04");
  expect_chunk(hb, context(0), "HEARTBEAT info=");
}

TEST(CodecHeartbeat, AcceptsChunkLengthThatCountsParameterPadding) {
  // Some SCTP stacks count the last parameter's padding; the bytes are the same.
  expect_chunk(hex("04 00 00 10 00 01 00 09 68 65 6c 6c 6f 00 00 00"), context(0),
               "HEARTBEAT info=68 65 6c 6c 6f");
}

// ---- CAPABILITY (ours) ---------------------------------------------------

TEST(CodecCapability, Encodes) {
  Buffer out;
  encode_capability(out, Capability{10, 65535, 0x01020304});
  EXPECT_EQ(to_hex(out), "80 00 00 14 00 01 00 08 00 0a ff ff 00 02 00 08 01 02 03 04");
  expect_chunk(out, context(0), "CAPABILITY out=10 max_in=65535 features=01020304");
}

// The adaptation layer indication (parameter 4) follows the others; an
// older receiver skips it as an unknown parameter.
TEST(CodecCapability, AdaptationIndication) {
  Buffer out;
  Capability cap{10, 65535, 0x00000003, 4194304};
  cap.has_adaptation = true;
  cap.adaptation_ind = 0x01020304;
  encode_capability(out, cap);
  EXPECT_EQ(to_hex(out),
            "80 00 00 24 00 01 00 08 00 0a ff ff 00 02 00 08 00 00 00 03 00 03 00 08 00 40 00 00 "
            "00 04 00 08 01 02 03 04");
  expect_chunk(out, context(0), "CAPABILITY out=10 max_in=65535 features=00000003 max_message=4194304 adaptation=16909060");
  Buffer without_max;
  cap.max_message = 0;
  cap.features = 0x2;
  cap.adaptation_ind = 0;  // zero is a value like any other on the wire
  encode_capability(without_max, cap);
  EXPECT_EQ(to_hex(without_max),
            "80 00 00 1c 00 01 00 08 00 0a ff ff 00 02 00 08 00 00 00 02 00 04 00 08 00 00 00 00");
  expect_chunk(without_max, context(0), "CAPABILITY out=10 max_in=65535 features=00000002 adaptation=0");
  const Decoded twice = decode_chunk(
      hex("80 00 00 1c 00 01 00 08 00 0a ff ff 00 04 00 08 00 00 00 01 00 04 00 08 00 00 00 01"), context(0));
  EXPECT_EQ(twice.status, Decoded::Status::kError);
  const Decoded short_value =
      decode_chunk(hex("80 00 00 12 00 01 00 08 00 0a ff ff 00 04 00 06 00 01 00 00"), context(0));
  EXPECT_EQ(short_value.status, Decoded::Status::kError);
}

TEST(CodecCapability, FeaturesAreOptional) {
  expect_chunk(hex("80 00 00 0c 00 01 00 08 00 01 00 02"), context(0),
               "CAPABILITY out=1 max_in=2 features=00000000");
}

TEST(CodecCapability, UnknownParametersAreSkipped) {
  // Parameter 7 with 1 value byte (Length 5, 3 padding bytes) before streams;
  // parameter 9 last, its padding outside the chunk Length.
  expect_chunk(hex("80 00 00 19 | 00 07 00 05 ee 00 00 00 | 00 01 00 08 00 03 00 04 | 00 09 00 05 ee 00 00 00"),
               context(0), "CAPABILITY out=3 max_in=4 features=00000000");
}

// ---- Extension chunks ----------------------------------------------------

TEST(CodecExtension, UnknownExtensionTypesAreSkipped) {
  expect_chunk(hex("83 00 00 04"), context(0), "SKIPPED type=83");
  expect_chunk(hex("9c 5a 00 05 aa 00 00 00"), context(0), "SKIPPED type=9c");
  expect_chunk(hex("bf ff 00 0a 01 02 03 04 05 06 00 00"), context(0), "SKIPPED type=bf");
}

// docs/PROTOCOL.md 16: high bits 11 are skipped too, and the whole chunk is
// kept for the "Unrecognized Chunk Type" report.
TEST(CodecExtension, SkipAndReportTypesCarryTheChunk) {
  expect_chunk(hex("c0 00 00 04"), context(0), "SKIPPED type=c0 report=c0 00 00 04");
  expect_chunk(hex("c5 07 00 06 ab cd 00 00"), context(0), "SKIPPED type=c5 report=c5 07 00 06 ab cd");
  expect_chunk(hex("ff 00 00 05 ee 00 00 00"), context(0), "SKIPPED type=ff report=ff 00 00 05 ee");
}

TEST(CodecExtension, ErrorChunk) {
  Buffer out;
  const Buffer unknown = hex("c5 07 00 06 ab cd");
  encode_error(out, kCauseUnrecognizedChunk, unknown);
  // Cause 6, Length 4 + 6; chunk Length 14, two padding bytes.
  EXPECT_EQ(to_hex(out), "82 00 00 0e 00 06 00 0a c5 07 00 06 ab cd 00 00");
  expect_chunk(out, context(0), "ERROR causes=00 06 00 0a c5 07 00 06 ab cd");
  // Two causes; the first padded inside the chunk, the last's padding outside it.
  expect_chunk(hex("82 00 00 11 00 06 00 05 aa 00 00 00 00 01 00 05 bb 00 00 00"), context(0),
               "ERROR causes=00 06 00 05 aa 00 00 00 00 01 00 05 bb");
  expect_chunk(hex("82 00 00 04"), context(0), "ERROR causes=");
}

TEST(CodecExtension, ErrorCauseIsTruncatedToFitOneChunk) {
  Buffer out;
  const Buffer big(70000, 0xab);
  encode_error(out, kCauseUnrecognizedChunk, big);
  ASSERT_EQ(out.size(), 65536u);
  EXPECT_EQ(to_hex(Bytes(out).first(8)), "82 00 ff ff 00 06 ff fb");
  EXPECT_EQ(decode_chunk(out, context(0)).status, Decoded::Status::kChunk);
}

TEST(CodecExtension, ShutdownChunk) {
  Buffer out;
  encode_shutdown(out);
  EXPECT_EQ(out, hex("81 00 00 04"));
  const Decoded d = decode_chunk(out, context(0));
  ASSERT_EQ(d.status, Decoded::Status::kChunk);
  EXPECT_TRUE(std::holds_alternative<Shutdown>(d.chunk));
  EXPECT_EQ(d.consumed, 4u);
  const Decoded bad = decode_chunk(hex("81 00 00 08 00 00 00 00"), context(0));
  ASSERT_EQ(bad.status, Decoded::Status::kError);
  EXPECT_EQ(bad.error, Error::kBadShutdown);
  EXPECT_EQ(bad.consumed, 0u);
}

TEST(CodecExtension, LongestExtensionChunk) {
  Buffer chunk(65536, 0);
  chunk[0] = 0xa0;
  chunk[2] = 0xff;
  chunk[3] = 0xff;
  const Decoded d = decode_chunk(chunk, context(0));
  ASSERT_EQ(d.status, Decoded::Status::kChunk);
  EXPECT_EQ(d.consumed, 65536u);
  EXPECT_EQ(decode_chunk(Bytes(chunk).first(65535), context(0)).status, Decoded::Status::kNeedMore);
}

// ---- Malformed input -----------------------------------------------------

struct BadCase {
  const char* name;
  uint8_t peer_init_flags;
  bool ack_has_tsn;
  const char* bytes;
  Error error;
};

const BadCase kBadCases[] = {
    {"data length 3", 0, true, "00 00 00 03", Error::kBadLength},
    {"init length 0", 0, true, "01 00 00 00", Error::kBadLength},
    {"extension length 2", 0, true, "81 00 00 02", Error::kBadLength},
    {"capability length 3", 0, true, "80 00 00 03", Error::kBadLength},
    {"init length 8", 0, true, "01 00 00 08 00 00 00 00", Error::kBadLength},
    {"init length 5", 0, true, "01 00 00 05 00 00 00 00", Error::kBadLength},
    {"type 2", 0, true, "02 00 00 04", Error::kBadType},
    {"type 6", 0, true, "06 00 00 04", Error::kBadType},
    {"type 127", 0, true, "7f 00 00 04", Error::kBadType},
    {"type 0x40", 0, true, "40 00 00 04", Error::kBadType},
    {"type 0x7e", 0, true, "7e 00 00 04", Error::kBadType},
    {"error cause length 3", 0, true, "82 00 00 08 00 06 00 03", Error::kBadError},
    {"error cause overruns", 0, true, "82 00 00 0c 00 06 00 0c 00 00 00 00", Error::kBadError},
    {"error trailing bytes", 0, true, "82 00 00 0a 00 06 00 04 00 01 00 00", Error::kBadError},
    {"type 2 length 0", 0, true, "02 00 00 00", Error::kBadType},
    {"ack length 6", 0, true, "03 00 00 06 00 00 00 00", Error::kBadAckLength},
    {"ack length 12", 0, true, "03 00 00 0c 00 00 00 00 00 00 00 00", Error::kBadAckLength},
    {"ack without tsn, tsn expected", 0, true, "03 00 00 04", Error::kBadAckLength},
    {"ack with tsn, none expected", 0, false, "03 00 00 08 00 00 00 01", Error::kBadAckLength},
    {"data without user data", 0, true, "00 00 00 10 00 00 00 00 00 00 00 00 00 00 00 00", Error::kDataTooShort},
    {"data shorter than fields", 0, true, "00 00 00 0c 00 00 00 00 00 00 00 00", Error::kDataTooShort},
    {"data header only", 0x07, true, "00 00 00 04", Error::kDataTooShort},
    {"data missing ppid", 0x01, true, "00 00 00 0b 00 00 00 00 61 62 63 00", Error::kDataTooShort},
    {"heartbeat without parameter", 0, true, "04 00 00 04", Error::kBadHeartbeat},
    {"heartbeat-ack without parameter", 0, true, "05 00 00 06 00 01 00 00", Error::kBadHeartbeat},
    {"heartbeat wrong parameter type", 0, true, "04 00 00 08 00 02 00 04", Error::kBadHeartbeat},
    {"heartbeat parameter length 3", 0, true, "04 00 00 08 00 01 00 03", Error::kBadHeartbeat},
    {"heartbeat parameter overruns", 0, true, "04 00 00 0c 00 01 00 0c 00 00 00 00", Error::kBadHeartbeat},
    {"heartbeat two parameters", 0, true, "04 00 00 10 00 01 00 04 00 01 00 08 00 00 00 00", Error::kBadHeartbeat},
    {"heartbeat trailing bytes", 0, true, "04 00 00 0d 00 01 00 04 00 00 00 00 01 00 00 00", Error::kBadHeartbeat},
    {"heartbeat-ack parameter overruns", 0, true, "05 00 00 09 00 01 00 0a 00 00 00 00", Error::kBadHeartbeat},
    {"capability empty", 0, true, "80 00 00 04", Error::kBadCapability},
    {"capability length 8", 0, true, "80 00 00 08 00 01 00 04", Error::kBadCapability},
    {"capability no streams", 0, true, "80 00 00 0c 00 02 00 08 00 00 00 00", Error::kBadCapability},
    {"capability zero outbound", 0, true, "80 00 00 0c 00 01 00 08 00 00 00 01", Error::kBadCapability},
    {"capability zero inbound", 0, true, "80 00 00 0c 00 01 00 08 00 01 00 00", Error::kBadCapability},
    {"capability streams length 6", 0, true, "80 00 00 0c 00 01 00 06 00 01 00 00", Error::kBadCapability},
    {"capability streams length 12", 0, true, "80 00 00 10 00 01 00 0c 00 01 00 01 00 00 00 00",
     Error::kBadCapability},
    {"capability features length 6", 0, true, "80 00 00 14 00 01 00 08 00 01 00 01 00 02 00 06 00 00 00 00",
     Error::kBadCapability},
    {"capability duplicate streams", 0, true, "80 00 00 14 00 01 00 08 00 01 00 01 00 01 00 08 00 01 00 01",
     Error::kBadCapability},
    {"capability duplicate features", 0, true,
     "80 00 00 1c 00 01 00 08 00 01 00 01 00 02 00 08 00 00 00 00 00 02 00 08 00 00 00 00", Error::kBadCapability},
    {"capability truncated parameter header", 0, true, "80 00 00 0e 00 01 00 08 00 01 00 01 00 02 00 00",
     Error::kBadCapability},
    {"capability parameter overruns", 0, true, "80 00 00 10 00 01 00 08 00 01 00 01 00 07 00 08",
     Error::kBadCapability},
    {"capability parameter length 2", 0, true, "80 00 00 10 00 01 00 08 00 01 00 01 00 07 00 02",
     Error::kBadCapability},
};

TEST(CodecMalformed, EachCaseFailsWithItsErrorAndConsumesNothing) {
  for (const BadCase& c : kBadCases) {
    SCOPED_TRACE(c.name);
    const DecodeContext ctx = context(c.peer_init_flags, c.ack_has_tsn);
    Buffer bytes = hex(c.bytes);
    const Decoded d = decode_chunk(bytes, ctx);
    EXPECT_EQ(d.status, Decoded::Status::kError) << describe(d);
    EXPECT_EQ(d.error, c.error) << describe(d);
    EXPECT_EQ(d.consumed, 0u);
    // Bytes that follow (a valid ACK here) change nothing.
    test::append(bytes, hex("03 00 00 08 00 00 00 00"));
    const Decoded more = decode_chunk(bytes, ctx);
    EXPECT_EQ(more.status, Decoded::Status::kError);
    EXPECT_EQ(more.error, c.error);
    EXPECT_EQ(more.consumed, 0u);
  }
}

TEST(CodecMalformed, PrefixesNeverSucceedAndNeverConsume) {
  for (const BadCase& c : kBadCases) {
    SCOPED_TRACE(c.name);
    const DecodeContext ctx = context(c.peer_init_flags, c.ack_has_tsn);
    const Buffer bytes = hex(c.bytes);
    for (size_t n = 0; n < bytes.size(); ++n) {
      const Decoded d = decode_chunk(Bytes(bytes.data(), n), ctx);
      EXPECT_NE(d.status, Decoded::Status::kChunk) << n;
      EXPECT_EQ(d.consumed, 0u);
      // Once the header is in, the verdict is either "wait" or this same error.
      if (d.status == Decoded::Status::kError) {
        EXPECT_EQ(d.error, c.error) << n;
      }
    }
  }
}

TEST(CodecMalformed, HeaderErrorsNeedOnlyTheHeader) {
  EXPECT_EQ(decode_chunk(hex("01 00 00 08"), context(0)).error, Error::kBadLength);
  EXPECT_EQ(decode_chunk(hex("00 00 00 10"), context(0)).error, Error::kDataTooShort);
  EXPECT_EQ(decode_chunk(hex("03 00 00 04"), context(0, true)).error, Error::kBadAckLength);
  EXPECT_EQ(decode_chunk(hex("41 00 ff ff"), context(0)).error, Error::kBadType);
}

TEST(CodecMalformed, ShortHeaderNeedsMore) {
  for (size_t n = 0; n < 4; ++n) {
    const Buffer bytes(n, 0xff);  // even an invalid type waits for the whole header
    const Decoded d = decode_chunk(bytes, context(0));
    EXPECT_EQ(d.status, Decoded::Status::kNeedMore);
    EXPECT_EQ(d.consumed, 0u);
  }
}

// ---- Encoders append -----------------------------------------------------

TEST(CodecEncode, AppendsToExistingBuffer) {
  Buffer out = hex("ee ee");
  encode_ack(out, false, 0);
  encode_init(out, 0x02);
  EXPECT_EQ(to_hex(out), "ee ee 03 00 00 04 01 02 00 04");
}

}  // namespace
}  // namespace sctpmap::wire
