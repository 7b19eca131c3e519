// SPDX-License-Identifier: MIT
// Sequence rules of one direction of a TCP-mapping connection
// (draft-ietf-rserpool-tcpmapping-03 sections 3.1-3.3, docs/PROTOCOL.md):
// INIT first and once, the CAPABILITY an INIT promised right after it, DATA TSNs
// consecutive from 0 with implicit TSNs filled in from position.
#include "wire/reader.hpp"

#include <optional>

namespace sctpmap::wire {
namespace {

Decoded failed(Error e) {
  Decoded d;
  d.status = Decoded::Status::kError;
  d.error = e;
  return d;
}

// Rules that depend only on the chunk type and where we are. Checked before the
// chunk is decoded so the error names the broken rule: a DATA before INIT is
// kNoInit, whatever its fields would say, and it is reported as soon as the
// header is in rather than after up to 64 KiB of value.
std::optional<Error> check_order(uint8_t type, bool init_seen, bool capability_pending) {
  const bool is_init = type == static_cast<uint8_t>(ChunkType::kInit);
  const bool is_capability = type == static_cast<uint8_t>(ChunkType::kCapability);
  if (!init_seen) return is_init ? std::nullopt : std::optional{Error::kNoInit};
  if (is_init) return Error::kSecondInit;
  if (capability_pending && !is_capability) return Error::kCapabilityMissing;
  // An unannounced CAPABILITY is refused even right after INIT: the association
  // may already have come up with draft stream counts, which it must not change.
  if (!capability_pending && is_capability) return Error::kBadCapability;
  return std::nullopt;
}

}  // namespace

ChunkReader::ChunkReader(uint8_t our_init_flags) {
  // Draft 3.4: a peer omits the TSN from its ACKs iff OUR INIT carried T.
  ctx_.ack_has_tsn = (our_init_flags & kInitOmitTsn) == 0;
}

Decoded ChunkReader::next(Bytes bytes) {
  if (bytes.size() < kChunkHeaderSize) return Decoded{};
  if (auto error = check_order(bytes[0], init_seen_, capability_pending_)) return failed(*error);
  Decoded d = decode_chunk(bytes, ctx_);
  if (d.status != Decoded::Status::kChunk) return d;
  // Our SHUTDOWN means something only to a peer that speaks our extensions;
  // from any other peer 0x81 is just an unknown extension: skipped.
  if (std::holds_alternative<Shutdown>(d.chunk) && (peer_flags_ & kInitCapabilityFollows) == 0) {
    d.chunk = Skipped{static_cast<uint8_t>(ChunkType::kShutdown)};
  }
  // All checks come before any member changes, so a failure leaves no trace.
  if (auto* data = std::get_if<Data>(&d.chunk)) {
    if (data->has_tsn && data->tsn != next_tsn_) return failed(Error::kTsnOutOfSequence);
    data->tsn = next_tsn_;
    ++next_tsn_;  // unsigned: wraps at 2^32 like the TSN itself
  } else if (const auto* init = std::get_if<Init>(&d.chunk)) {
    init_seen_ = true;
    peer_flags_ = init->flags;
    ctx_.peer_data = DataFormat::from_init_flags(init->flags);
    capability_pending_ = (init->flags & kInitCapabilityFollows) != 0;
  } else if (std::holds_alternative<Capability>(d.chunk)) {
    capability_pending_ = false;
  }
  return d;
}

}  // namespace sctpmap::wire
