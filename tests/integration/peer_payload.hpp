// SPDX-License-Identifier: MIT
// The message schedule shared by both ends of sctp_peer: which stream, PPID,
// size and ordering message number `seq` has, and the bytes it carries.
// Both ends run the same binary with the same options, so the receiver can
// recompute everything the sender chose and verify each message exactly:
// length (boundaries), stream and PPID echo, per-stream order, content.
//
// Messages of at least kHeaderSize bytes start with a header naming their seq
// (needed for unordered messages, which may arrive in any position). Shorter
// messages carry only filler and are always ordered, so the receiver knows
// their seq from the stream's order.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>

namespace sctpmap::test {

inline constexpr uint32_t kMagic = 0x53434D50;  // "SCMP"
inline constexpr uint32_t kHeaderSize = 24;
inline constexpr uint64_t kNoSeq = std::numeric_limits<uint64_t>::max();

// Header layout, network byte order:
//   0 magic | 4 seq | 8 total length | 12 stream(16) flags(16) | 16 ppid
//   20 FNV-1a of bytes [24, length)
inline void put32(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v >> 24);
  p[1] = uint8_t(v >> 16);
  p[2] = uint8_t(v >> 8);
  p[3] = uint8_t(v);
}
inline uint32_t get32(const uint8_t* p) {
  return uint32_t(p[0]) << 24 | uint32_t(p[1]) << 16 | uint32_t(p[2]) << 8 | p[3];
}

inline uint8_t fill_byte(uint64_t seq, size_t i) {
  return uint8_t((seq * 131 + i * 7 + (i >> 8)) ^ 0x5A);
}

inline uint32_t fnv1a(const uint8_t* p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

inline uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

struct Schedule {
  uint32_t streams = 1;
  uint32_t size_lo = 1;
  uint32_t size_hi = 1000;
  uint32_t unordered_every = 0;  // every K-th message unordered; 0: none

  bool unordered(uint64_t seq) const {
    return unordered_every != 0 && seq % unordered_every == unordered_every - 1;
  }
  uint16_t stream_of(uint64_t seq) const { return uint16_t(seq % streams); }
  // Distinct per stream, and with four distinct bytes so a byte-order slip
  // anywhere on the path shows.
  uint32_t ppid_of(uint64_t seq) const { return 0x11223300u + stream_of(seq); }

  // Log-uniform sizes: most messages small, many large, mean ~6 KB for
  // 1..65519, so 100,000 messages stay a few hundred MB. Both extremes recur.
  uint32_t size_of(uint64_t seq) const {
    uint32_t s;
    if (seq % 101 == 7) {
      s = size_hi;
    } else if (seq % 103 == 11) {
      s = size_lo;
    } else {
      const double r = double(splitmix64(seq) >> 11) * 0x1.0p-53;
      const double v = double(size_lo) * std::pow(double(size_hi) / size_lo, r);
      s = uint32_t(v);
      if (s < size_lo) s = size_lo;
      if (s > size_hi) s = size_hi;
    }
    // Unordered messages need the header to be identified on arrival.
    if (unordered(seq) && s < kHeaderSize) s = kHeaderSize;
    return s;
  }

  // The next ordered seq on `stream` strictly after `after` (kNoSeq: start).
  uint64_t next_ordered(uint16_t stream, uint64_t after) const {
    uint64_t y = after == kNoSeq ? stream : after + streams;
    for (uint32_t i = 0; i <= unordered_every; ++i, y += streams) {
      if (!unordered(y)) return y;
    }
    return kNoSeq;  // every message on this stream is unordered
  }

  void build(uint64_t seq, uint8_t* out) const {
    const uint32_t len = size_of(seq);
    for (uint32_t i = 0; i < len; ++i) out[i] = fill_byte(seq, i);
    if (len < kHeaderSize) return;
    put32(out, kMagic);
    put32(out + 4, uint32_t(seq));
    put32(out + 8, len);
    put32(out + 12, uint32_t(stream_of(seq)) << 16 | (unordered(seq) ? 1u : 0u));
    put32(out + 16, ppid_of(seq));
    put32(out + 20, fnv1a(out + kHeaderSize, len - kHeaderSize));
  }

  // Seq named by a headered message, or kNoSeq when it has no valid header.
  static uint64_t header_seq(const uint8_t* p, size_t n) {
    if (n < kHeaderSize || get32(p) != kMagic) return kNoSeq;
    return get32(p + 4);
  }

  // True when `p[0..n)` is exactly message `seq`.
  bool matches(uint64_t seq, const uint8_t* p, size_t n) const {
    if (n != size_of(seq)) return false;
    if (n >= kHeaderSize) {
      if (get32(p) != kMagic || get32(p + 4) != uint32_t(seq) || get32(p + 8) != n) return false;
      if (get32(p + 12) != (uint32_t(stream_of(seq)) << 16 | (unordered(seq) ? 1u : 0u)))
        return false;
      if (get32(p + 16) != ppid_of(seq)) return false;
      if (get32(p + 20) != fnv1a(p + kHeaderSize, n - kHeaderSize)) return false;
    }
    for (size_t i = n >= kHeaderSize ? kHeaderSize : 0; i < n; ++i) {
      if (p[i] != fill_byte(seq, i)) return false;
    }
    return true;
  }
};

}  // namespace sctpmap::test
