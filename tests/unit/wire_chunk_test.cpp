// SPDX-License-Identifier: MIT
// chunk.hpp: DATA formats implied by INIT flags, serial-number arithmetic
// (RFC 9260 1.6 / RFC 1982) and error names.
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "wire/chunk.hpp"

namespace sctpmap::wire {
namespace {

TEST(DataFormat, AllFieldsWhenNoFlags) {
  constexpr DataFormat f = DataFormat::from_init_flags(0x00);
  EXPECT_TRUE(f.tsn);
  EXPECT_TRUE(f.stream);
  EXPECT_TRUE(f.ppid);
  EXPECT_EQ(f.header_size(), 16u);
  EXPECT_EQ(f.max_payload(), kMaxDraftMessage);
}

TEST(DataFormat, EachFlagRemovesOneWord) {
  for (unsigned flags = 0; flags < 8; ++flags) {
    const DataFormat f = DataFormat::from_init_flags(static_cast<uint8_t>(flags));
    EXPECT_EQ(f.tsn, (flags & kInitOmitTsn) == 0) << flags;
    EXPECT_EQ(f.stream, (flags & kInitOmitStream) == 0) << flags;
    EXPECT_EQ(f.ppid, (flags & kInitOmitPpid) == 0) << flags;
    const size_t omitted = (flags & 1) + ((flags >> 1) & 1) + ((flags >> 2) & 1);
    EXPECT_EQ(f.header_size(), 16u - 4 * omitted) << flags;
    EXPECT_EQ(f.max_payload(), kMaxChunkLength - f.header_size()) << flags;
  }
}

TEST(DataFormat, CapabilityBitDoesNotChangeFormat) {
  const DataFormat f = DataFormat::from_init_flags(kInitCapabilityFollows | kInitOmitPpid);
  EXPECT_TRUE(f.tsn);
  EXPECT_TRUE(f.stream);
  EXPECT_FALSE(f.ppid);
}

TEST(SerialArithmetic, Tsn32) {
  EXPECT_TRUE(serial_lt(uint32_t{0}, uint32_t{1}));
  EXPECT_FALSE(serial_lt(uint32_t{1}, uint32_t{0}));
  EXPECT_FALSE(serial_lt(uint32_t{5}, uint32_t{5}));
  // Wrap-around: 2^32-1 comes before 0 and 1.
  EXPECT_TRUE(serial_lt(uint32_t{0xFFFFFFFF}, uint32_t{0}));
  EXPECT_TRUE(serial_lt(uint32_t{0xFFFFFFFE}, uint32_t{1}));
  EXPECT_FALSE(serial_lt(uint32_t{0}, uint32_t{0xFFFFFFFF}));
  // Largest forward distance is 2^31 - 1.
  EXPECT_TRUE(serial_lt(uint32_t{0}, uint32_t{0x7FFFFFFF}));
  EXPECT_TRUE(serial_lt(uint32_t{0x80000000}, uint32_t{0xFFFFFFFF}));
  // Exactly 2^31 apart is undefined in RFC 1982; here neither is less.
  EXPECT_FALSE(serial_lt(uint32_t{0}, uint32_t{0x80000000}));
  EXPECT_FALSE(serial_lt(uint32_t{0x80000000}, uint32_t{0}));
}

TEST(SerialArithmetic, Ssn16) {
  EXPECT_TRUE(serial_lt(uint16_t{0}, uint16_t{1}));
  EXPECT_FALSE(serial_lt(uint16_t{1}, uint16_t{0}));
  EXPECT_FALSE(serial_lt(uint16_t{7}, uint16_t{7}));
  EXPECT_TRUE(serial_lt(uint16_t{0xFFFF}, uint16_t{0}));
  EXPECT_TRUE(serial_lt(uint16_t{0xFFF0}, uint16_t{0x000F}));
  EXPECT_FALSE(serial_lt(uint16_t{0}, uint16_t{0xFFFF}));
  EXPECT_TRUE(serial_lt(uint16_t{0}, uint16_t{0x7FFF}));
  EXPECT_FALSE(serial_lt(uint16_t{0}, uint16_t{0x8000}));
  EXPECT_FALSE(serial_lt(uint16_t{0x8000}, uint16_t{0}));
}

TEST(SerialArithmetic, IsConstexpr) {
  static_assert(serial_lt(uint32_t{0xFFFFFFFF}, uint32_t{0}));
  static_assert(!serial_lt(uint16_t{1}, uint16_t{1}));
}

TEST(ErrorNames, EveryErrorHasADistinctName) {
  const Error all[] = {Error::kBadLength,        Error::kBadType,          Error::kDataTooShort,
                       Error::kBadAckLength,     Error::kBadHeartbeat,     Error::kBadCapability,
                       Error::kNoInit,           Error::kSecondInit,       Error::kTsnOutOfSequence,
                       Error::kAckOutOfSequence, Error::kInvalidStream,    Error::kCapabilityMissing,
                       Error::kBadFragment,      Error::kMessageTooBig,    Error::kBadError};
  std::set<std::string> names;
  for (Error e : all) {
    const char* name = to_string(e);
    ASSERT_NE(name, nullptr);
    EXPECT_GT(std::string(name).size(), 5u);
    names.insert(name);
  }
  EXPECT_EQ(names.size(), std::size(all));
  EXPECT_NE(to_string(static_cast<Error>(200)), nullptr);
}

}  // namespace
}  // namespace sctpmap::wire
