// SPDX-License-Identifier: MIT
// Stateless chunk codec. decode_chunk() looks at the front of a byte span and
// returns need-more, one chunk plus the bytes it used (padding included), or a
// protocol error; it consumes nothing on failure and copies no payload.
// Encoders append to a caller-owned buffer; they never allocate beyond growing it.
#pragma once

#include <cstdint>
#include <vector>

#include "wire/chunk.hpp"

namespace sctpmap::wire {

using Buffer = std::vector<uint8_t>;

// What decode needs to know about the stream it reads.
struct DecodeContext {
  DataFormat peer_data;      // fields the peer's DATA carries (from the peer's INIT)
  bool ack_has_tsn = true;   // false when OUR INIT carried T (peer omits TSN in ACK)
  // Both sides announced kFeatureFragmentation: DATA's B/E bits are read into
  // Data::begin/end. Otherwise they are reserved and every DATA is whole.
  bool fragments = false;
};

struct Decoded {
  enum class Status : uint8_t { kChunk, kNeedMore, kError };
  Status status = Status::kNeedMore;
  Chunk chunk;
  size_t consumed = 0;  // bytes used, padding included; 0 unless kChunk
  Error error{};        // set when kError
};

// Decodes the first chunk of `bytes`. Need-more when the header or the padded
// chunk is not complete yet. INIT is decoded without the context (it defines it).
Decoded decode_chunk(Bytes bytes, const DecodeContext& ctx);

// Encoders. `ours` is the DataFormat our own INIT announced.
void encode_init(Buffer& out, uint8_t flags);
void encode_data(Buffer& out, const DataFormat& ours, uint8_t flags, uint32_t tsn, uint16_t sid,
                 uint16_t ssn, uint32_t ppid, Bytes payload);
void encode_ack(Buffer& out, bool with_tsn, uint32_t cum_tsn);
void encode_heartbeat(Buffer& out, Bytes info);
void encode_heartbeat_ack(Buffer& out, Bytes info);
void encode_capability(Buffer& out, const Capability& cap);
void encode_shutdown(Buffer& out);
// One ERROR chunk carrying one cause (`info` truncated to fit a chunk).
void encode_error(Buffer& out, uint16_t cause, Bytes info);

}  // namespace sctpmap::wire
