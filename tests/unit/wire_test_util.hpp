// SPDX-License-Identifier: MIT
// Helpers shared by the wire unit tests: hex vectors in, readable chunk
// descriptions out (so a failing comparison prints what differs), and a loop
// that drains a ChunkReader the way the association does.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "wire/codec.hpp"
#include "wire/reader.hpp"

namespace sctpmap::wire::test {

// "01 00 00 04" -> bytes; spaces and '|' are separators for readability.
inline Buffer hex(std::string_view text) {
  Buffer out;
  int high = -1;
  for (char c : text) {
    int v = -1;
    if (c >= '0' && c <= '9') v = c - '0';
    if (c >= 'a' && c <= 'f') v = c - 'a' + 10;
    if (c >= 'A' && c <= 'F') v = c - 'A' + 10;
    if (v < 0) continue;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

inline std::string to_hex(Bytes b) {
  std::string s;
  char tmp[4];
  for (size_t i = 0; i < b.size(); ++i) {
    std::snprintf(tmp, sizeof tmp, i ? " %02x" : "%02x", b[i]);
    s += tmp;
  }
  return s;
}

inline std::string describe(const Chunk& c) {
  char buf[160];
  if (const auto* v = std::get_if<Init>(&c)) {
    std::snprintf(buf, sizeof buf, "INIT flags=%02x", v->flags);
  } else if (const auto* d = std::get_if<Data>(&c)) {
    std::snprintf(buf, sizeof buf, "DATA flags=%02x tsn=%u%s sid=%u ssn=%u ppid=%u payload=", d->flags,
                  d->tsn, d->has_tsn ? "" : "(implicit)", d->sid, d->ssn, d->ppid);
    // Fragment position, only when not a whole message (docs/PROTOCOL.md 15.2).
    std::string frag;
    if (!d->begin || !d->end) frag = std::string(" frag=") + (d->begin ? "B" : "-") + (d->end ? "E" : "-");
    return buf + to_hex(d->payload) + frag;
  } else if (const auto* a = std::get_if<Ack>(&c)) {
    std::snprintf(buf, sizeof buf, "ACK%s cum_tsn=%u", a->has_tsn ? "" : "(no tsn)", a->cum_tsn);
  } else if (const auto* h = std::get_if<Heartbeat>(&c)) {
    return "HEARTBEAT info=" + to_hex(h->info);
  } else if (const auto* ha = std::get_if<HeartbeatAck>(&c)) {
    return "HEARTBEAT-ACK info=" + to_hex(ha->info);
  } else if (const auto* cap = std::get_if<Capability>(&c)) {
    std::snprintf(buf, sizeof buf, "CAPABILITY out=%u max_in=%u features=%08x", cap->outbound_streams,
                  cap->max_inbound_streams, cap->features);
    std::string text = buf;
    if (cap->max_message != 0) text += " max_message=" + std::to_string(cap->max_message);
    if (cap->has_adaptation) text += " adaptation=" + std::to_string(cap->adaptation_ind);
    return text;
  } else if (const auto* e = std::get_if<ErrorChunk>(&c)) {
    return "ERROR causes=" + to_hex(e->causes);
  } else {
    const Skipped& k = std::get<Skipped>(c);
    std::snprintf(buf, sizeof buf, "SKIPPED type=%02x", k.type);
    if (k.report) return buf + std::string(" report=") + to_hex(k.chunk);
  }
  return buf;
}

inline std::string describe(const Decoded& d) {
  switch (d.status) {
    case Decoded::Status::kNeedMore:
      return "need-more consumed=" + std::to_string(d.consumed);
    case Decoded::Status::kError:
      return std::string("error ") + to_string(d.error) + " consumed=" + std::to_string(d.consumed);
    case Decoded::Status::kChunk:
      break;
  }
  return describe(d.chunk) + " consumed=" + std::to_string(d.consumed);
}

// What draining a reader produced: every chunk's description, then how it stopped.
struct Drained {
  std::vector<std::string> chunks;
  Decoded::Status last = Decoded::Status::kNeedMore;
  Error error{};
};

// Calls next() until it stops returning chunks; erases consumed bytes from `buf`
// (the association keeps the unconsumed tail the same way) and appends to `out`.
inline void drain(ChunkReader& reader, Buffer& buf, Drained& out) {
  for (;;) {
    Decoded d = reader.next(buf);
    out.last = d.status;
    if (d.status == Decoded::Status::kError) out.error = d.error;
    if (d.status != Decoded::Status::kChunk) return;
    out.chunks.push_back(describe(d.chunk));
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(d.consumed));
  }
}

inline void append(Buffer& dst, const Buffer& src) { dst.insert(dst.end(), src.begin(), src.end()); }

// Decodes `bytes` and checks it is exactly one chunk described as `expected`
// that uses all of `bytes`; then checks every strict prefix needs more and
// consumes nothing.
inline void expect_chunk(const Buffer& bytes, const DecodeContext& ctx, const std::string& expected) {
  const Decoded d = decode_chunk(bytes, ctx);
  ASSERT_EQ(d.status, Decoded::Status::kChunk) << describe(d) << " for " << to_hex(bytes);
  EXPECT_EQ(describe(d.chunk), expected);
  EXPECT_EQ(d.consumed, bytes.size());
  for (size_t n = 0; n < bytes.size(); ++n) {
    const Decoded p = decode_chunk(Bytes(bytes.data(), n), ctx);
    EXPECT_EQ(p.status, Decoded::Status::kNeedMore) << "prefix " << n << " of " << to_hex(bytes);
    EXPECT_EQ(p.consumed, 0u);
  }
}

}  // namespace sctpmap::wire::test

namespace sctpmap::wire {
// Friend of ChunkReader (reader.hpp): lets tests start TSNs near the wrap.
struct ChunkReaderTestAccess {
  static void set_next_tsn(ChunkReader& r, uint32_t tsn) { r.next_tsn_ = tsn; }
};
}  // namespace sctpmap::wire
