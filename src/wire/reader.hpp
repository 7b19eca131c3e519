// SPDX-License-Identifier: MIT
// The stateful side of parsing one direction of a connection: INIT must come
// first and only once, a promised CAPABILITY must follow INIT, DATA TSNs must be
// consecutive from 0 (implicit TSNs are filled in from position). Feed it the
// unconsumed front of the receive buffer; it never looks past one chunk.
#pragma once

#include "wire/codec.hpp"

namespace sctpmap::wire {

class ChunkReader {
 public:
  // `our_init_flags`: the flags of the INIT we send (decides the peer's ACK format).
  explicit ChunkReader(uint8_t our_init_flags);

  // Like decode_chunk, plus the sequence rules above. On kChunk the reader's
  // state has advanced past the chunk; on kNeedMore or kError nothing changed.
  Decoded next(Bytes bytes);

  bool init_seen() const { return init_seen_; }
  uint8_t peer_init_flags() const { return peer_flags_; }
  uint32_t next_tsn() const { return next_tsn_; }  // TSN the next DATA must carry

 private:
  // Unit tests only: sets next_tsn_ near 2^32 to exercise the wrap without
  // feeding four billion chunks.
  friend struct ChunkReaderTestAccess;

  DecodeContext ctx_;
  bool init_seen_ = false;
  bool capability_pending_ = false;
  uint8_t peer_flags_ = 0;
  uint32_t next_tsn_ = 0;
};

}  // namespace sctpmap::wire
