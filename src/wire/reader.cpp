// SPDX-License-Identifier: MIT
// Sequence rules of one direction of a TCP-mapping connection
// (draft-ietf-rserpool-tcpmapping-03 sections 3.1-3.3, docs/PROTOCOL.md):
// INIT first and once, the CAPABILITY an INIT promised right after it, DATA TSNs
// consecutive from 0 with implicit TSNs filled in from position, and the
// fragment order of docs/PROTOCOL.md section 15.
//
// Why fragment order is checked here and not in the association: like TSN
// order it is a rule on the sequence of DATA chunks in one direction, fixed
// by what both sides announced at the start and independent of everything
// the association tracks (streams, ACKs, delivery). Checking it here keeps
// the association's reassembly a plain append, lets the error be reported
// before any byte is buffered, and puts the rule under the wire fuzz target.
#include "wire/reader.hpp"

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

ChunkReader::ChunkReader(uint8_t our_init_flags, uint32_t our_features, uint32_t our_max_message)
    : our_features_(our_features), our_max_message_(our_max_message) {
  // Draft 3.4: a peer omits the TSN from its ACKs iff OUR INIT carried T.
  ctx_.ack_has_tsn = (our_init_flags & kInitOmitTsn) == 0;
}

// RFC 9260 6.9 (B first, E last, nothing of another message between them on
// one stream) made stricter: our sender writes a message's fragments back to
// back (docs/PROTOCOL.md 15.3), so at most one message is open per direction.
std::optional<Error> ChunkReader::check_fragment(const Data& d) const {
  if (d.begin && d.end) return frag_.open ? std::optional{Error::kBadFragment} : std::nullopt;
  if (d.begin == frag_.open) return Error::kBadFragment;  // B inside a message, or a middle/E outside one
  const uint64_t before = frag_.open ? frag_.bytes : 0;
  if (before + d.payload.size() > our_max_message_) return Error::kMessageTooBig;
  if (!frag_.open) return std::nullopt;
  // The SSN of an unordered message carries no meaning (RFC 9260 3.3.1): not compared.
  if (d.unordered() != frag_.unordered || d.sid != frag_.sid || d.ppid != frag_.ppid ||
      (!d.unordered() && d.ssn != frag_.ssn)) {
    return Error::kBadFragment;
  }
  return std::nullopt;
}

void ChunkReader::track_fragment(const Data& d) {
  if (d.begin && d.end) return;
  if (d.begin) frag_ = OpenMessage{true, d.unordered(), d.sid, d.ssn, d.ppid, 0};
  frag_.bytes += d.payload.size();
  if (d.end) frag_ = OpenMessage{};
}

Decoded ChunkReader::next(Bytes bytes) {
  if (bytes.size() < kChunkHeaderSize) return Decoded{};
  if (auto error = check_order(bytes[0], init_seen_, capability_pending_)) return failed(*error);
  Decoded d = decode_chunk(bytes, ctx_);
  if (d.status != Decoded::Status::kChunk) return d;
  // Our SHUTDOWN means something only to a peer that speaks our extensions;
  // from any other peer 0x81 is just an unknown extension: skipped.
  if (std::holds_alternative<Shutdown>(d.chunk) && (peer_flags_ & kInitCapabilityFollows) == 0) {
    d.chunk = Skipped{static_cast<uint8_t>(ChunkType::kShutdown), false, {}};
  }
  // All checks come before any member changes, so a failure leaves no trace.
  if (auto* data = std::get_if<Data>(&d.chunk)) {
    if (data->has_tsn && data->tsn != next_tsn_) return failed(Error::kTsnOutOfSequence);
    if (auto error = check_fragment(*data)) return failed(*error);
    data->tsn = next_tsn_;
    ++next_tsn_;  // unsigned: wraps at 2^32 like the TSN itself
    track_fragment(*data);
  } else if (std::holds_alternative<Shutdown>(d.chunk) && frag_.open) {
    // The peer sends SHUTDOWN only once all its DATA is ACKed, which cannot
    // be while one of its messages is half sent.
    return failed(Error::kBadFragment);
  } else if (const auto* init = std::get_if<Init>(&d.chunk)) {
    init_seen_ = true;
    peer_flags_ = init->flags;
    ctx_.peer_data = DataFormat::from_init_flags(init->flags);
    capability_pending_ = (init->flags & kInitCapabilityFollows) != 0;
  } else if (const auto* cap = std::get_if<Capability>(&d.chunk)) {
    capability_pending_ = false;
    // Negotiated only when both announced it (docs/PROTOCOL.md 15.1).
    ctx_.fragments = (cap->features & our_features_ & kFeatureFragmentation) != 0 && our_max_message_ != 0;
    peer_max_message_ = cap->max_message;
  }
  return d;
}

}  // namespace sctpmap::wire
