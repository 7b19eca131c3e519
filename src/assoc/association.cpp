// SPDX-License-Identifier: MIT
// Association: construction, start and the pulled outputs. The DATA path
// (send with fragmentation, reassembly, ACKs) is in association_data.cpp,
// chunk dispatch in association_rx.cpp; shutdown, failure and timers in
// association_close.cpp.
#include "assoc/association.hpp"

#include <algorithm>
#include <cstdint>

namespace sctpmap::assoc {
namespace {

// What our INIT announces. Only the draft's T/S/P bits come from the
// configuration; our CAPABILITY bit is added unless strict mode forbids
// anything outside the draft (PROTOCOL-NOTES: "offer extensions, never require").
uint8_t init_flags_for(const Config& c) {
  const uint8_t draft = c.init_flags & wire::kInitDraftFlags;
  return c.strict_draft ? draft : static_cast<uint8_t>(draft | wire::kInitCapabilityFollows);
}

// What our CAPABILITY announces. Fragmentation (docs/PROTOCOL.md 15) only
// when a message can be larger than one DATA chunk; never in strict mode,
// which sends no CAPABILITY at all.
wire::Capability capability_for(const Config& c, const wire::DataFormat& ours) {
  wire::Capability cap{c.outbound_streams, c.max_inbound_streams, 0, 0};
  // We read ERROR chunks (docs/PROTOCOL.md 16); Linux sends its adaptation
  // indication only when set (sctp_make_init), so do we.
  cap.features = wire::kFeatureErrorReport;
  cap.has_adaptation = c.adaptation_ind != 0;
  cap.adaptation_ind = c.adaptation_ind;
  if (!c.strict_draft && c.max_message > ours.max_payload()) {
    cap.features |= wire::kFeatureFragmentation;
    cap.max_message = static_cast<uint32_t>(std::min<size_t>(c.max_message, UINT32_MAX));
  }
  return cap;
}

}  // namespace

Association::Association(const Config& config)
    : config_(config),
      our_init_flags_(init_flags_for(config)),
      our_format_(wire::DataFormat::from_init_flags(our_init_flags_)),
      reader_(our_init_flags_),
      rto_(config.rto_initial) {}

void Association::start(Instant now) {
  saw(now);
  if (state_ != State::kClosed) return;
  // The configuration may have changed since construction: what we announce
  // is fixed here, and the reader must know our T flag (it decides the
  // peer's ACK format).
  our_init_flags_ = init_flags_for(config_);
  our_format_ = wire::DataFormat::from_init_flags(our_init_flags_);
  announced_ = capability_for(config_, our_format_);
  reader_ = wire::ChunkReader(our_init_flags_, announced_.features, announced_.max_message);
  // Draft section 3: INIT is the first chunk each side sends, exactly once.
  wire::encode_init(tx_.out(), our_init_flags_);
  if (!config_.strict_draft) wire::encode_capability(tx_.out(), announced_);
  state_ = State::kInitSent;
}

void Association::set_inbound_paused(bool paused, Instant now) {
  saw(now);
  inbound_paused_ = paused;
  if (paused) hb_.note_paused();
}

wire::Bytes Association::pending_tx() const { return tx_.pending(); }

void Association::consume_tx(size_t n) { tx_.consume(n); }

bool Association::wants_fin() const {
  switch (state_) {
    case State::kShutdownPending:  // RFC 9260 9.2: all outstanding DATA acknowledged
      // With our SHUTDOWN chunk out we keep ACKing until the peer has closed
      // (or is shutting down itself, when both started at once).
      if (ext_) return unacked_.empty() && tx_.empty() && (peer_fin_ || peer_shutdown_chunk_);
      return unacked_.empty() && tx_.empty();
    case State::kPeerShutdown:
      // Extension: the peer still ACKs, so wait for our DATA to be taken
      // (SCTP's SHUTDOWN-RECEIVED). Draft peer's FIN: it can no longer ACK.
      if (ext_ && !peer_fin_) return unacked_.empty() && tx_.empty();
      return tx_.empty();
    default:
      return false;
  }
}

std::optional<Instant> Association::next_deadline() const {
  std::optional<Instant> at;
  if (heartbeat_running()) at = hb_.deadline(rto_.rto());
  if (unwritten_ttl_tail()) {
    const Instant expires = unacked_.back()->message.expires;
    if (!at || expires < *at) at = expires;
  }
  return at;
}

std::optional<Event> Association::poll_event() {
  std::optional<Event> e;
  if (!events_.empty()) {
    e.emplace(std::move(events_.front()));
    events_.pop_front();
  }
  return e;
}

State Association::state() const { return state_; }
bool Association::dry() const {
  // A message is un-ACKed from send() on, written or not; ACK and HEARTBEAT
  // chunks still waiting in tx_ are no user data.
  return (state_ == State::kEstablished || state_ == State::kShutdownPending || state_ == State::kPeerShutdown) &&
         unacked_.empty();
}
Duration Association::rto() const { return rto_.rto(); }
Duration Association::srtt() const { return rto_.srtt(); }
uint32_t Association::unacked_count() const { return static_cast<uint32_t>(unacked_.count()); }
size_t Association::unacked_bytes() const { return unacked_.bytes(); }
uint16_t Association::error_count() const { return error_count_; }
uint16_t Association::outbound_streams() const { return out_streams_; }
uint16_t Association::inbound_streams() const { return in_streams_; }
uint32_t Association::next_tsn() const { return next_tsn_; }
const Config& Association::config() const { return config_; }

void Association::update_config(const Config& c) {
  const bool was_enabled = config_.hb_enabled;
  config_ = c;
  // Stream counts and INIT flags were fixed by start(); the rest applies from
  // the next timer. The current RTO moves into the new bounds at once.
  rto_.clamp(c.rto_min, c.rto_max);
  if (!c.hb_enabled) {
    hb_.disarm();
  } else if (!was_enabled && (state_ == State::kEstablished || state_ == State::kShutdownPending)) {
    hb_.arm(last_now_, c.hb_interval);
  }
}

void Association::saw(Instant now) { last_now_ = std::max(last_now_, now); }

}  // namespace sctpmap::assoc
