// SPDX-License-Identifier: MIT
// The stateful side of parsing one direction of a connection: INIT must come
// first and only once, a promised CAPABILITY must follow INIT, DATA TSNs must be
// consecutive from 0 (implicit TSNs are filled in from position), and, once
// fragmentation is negotiated, fragments follow B...E order within one
// message no larger than our announced maximum. Feed it the unconsumed front
// of the receive buffer; it never looks past one chunk.
#pragma once

#include <optional>

#include "wire/codec.hpp"

namespace sctpmap::wire {

class ChunkReader {
 public:
  // `our_init_flags`: the flags of the INIT we send (decides the peer's ACK format).
  // `our_features`, `our_max_message`: what our CAPABILITY announced (features
  // word and max message parameter; 0 when we sent none). Fragmentation is
  // read from DATA only when both we and the peer announced it.
  explicit ChunkReader(uint8_t our_init_flags, uint32_t our_features = 0, uint32_t our_max_message = 0);

  // Like decode_chunk, plus the sequence rules above. On kChunk the reader's
  // state has advanced past the chunk; on kNeedMore or kError nothing changed.
  Decoded next(Bytes bytes);

  bool init_seen() const { return init_seen_; }
  uint8_t peer_init_flags() const { return peer_flags_; }
  uint32_t next_tsn() const { return next_tsn_; }  // TSN the next DATA must carry
  // Both sides announced kFeatureFragmentation (known once the peer's
  // CAPABILITY is read): DATA carries B/E.
  bool fragmentation() const { return ctx_.fragments; }
  // The peer's max message parameter (0 without one).
  uint32_t peer_max_message() const { return peer_max_message_; }
  // Inside a fragmented message: B seen, E not yet.
  bool in_message() const { return frag_.open; }

 private:
  // Unit tests only: sets next_tsn_ near 2^32 to exercise the wrap without
  // feeding four billion chunks.
  friend struct ChunkReaderTestAccess;

  // The message whose B fragment was read and whose E was not yet: every
  // fragment must repeat its SID, SSN (when ordered), PPID and U flag.
  struct OpenMessage {
    bool open = false;
    bool unordered = false;
    uint16_t sid = 0;
    uint16_t ssn = 0;
    uint32_t ppid = 0;
    uint64_t bytes = 0;  // user data so far
  };
  std::optional<Error> check_fragment(const Data& d) const;
  void track_fragment(const Data& d);

  DecodeContext ctx_;
  uint32_t our_features_ = 0;
  uint32_t our_max_message_ = 0;
  uint32_t peer_max_message_ = 0;
  OpenMessage frag_;
  bool init_seen_ = false;
  bool capability_pending_ = false;
  uint8_t peer_flags_ = 0;
  uint32_t next_tsn_ = 0;
};

}  // namespace sctpmap::wire
