// SPDX-License-Identifier: MIT
// Association: construction, the user-facing send path, ACK generation and the
// pulled outputs. Receiving is in association_rx.cpp; shutdown, failure and
// timers in association_close.cpp.
#include "assoc/association.hpp"

#include <algorithm>

namespace sctpmap::assoc {
namespace {

// sinfo_flags' SCTP_UNORDERED from <linux/sctp.h>; this layer may not include
// socket headers, and the value is ABI.
constexpr uint16_t kSctpUnordered = 1;

// What our INIT announces. Only the draft's T/S/P bits come from the
// configuration; our CAPABILITY bit is added unless strict mode forbids
// anything outside the draft (PROTOCOL-NOTES: "offer extensions, never require").
uint8_t init_flags_for(const Config& c) {
  const uint8_t draft = c.init_flags & wire::kInitDraftFlags;
  return c.strict_draft ? draft : static_cast<uint8_t>(draft | wire::kInitCapabilityFollows);
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
  reader_ = wire::ChunkReader(our_init_flags_);
  // Draft section 3: INIT is the first chunk each side sends, exactly once.
  wire::encode_init(tx_.out(), our_init_flags_);
  announced_ = wire::Capability{config_.outbound_streams, config_.max_inbound_streams, 0};
  if (!config_.strict_draft) wire::encode_capability(tx_.out(), announced_);
  state_ = State::kInitSent;
}

bool Association::can_send(size_t len) const {
  // A message bigger than the whole buffer still goes when nothing is queued,
  // as with SO_SNDBUF on a stream socket; otherwise it could never be sent.
  return unacked_.empty() || unacked_.bytes() + len <= config_.sndbuf;
}

Result<void, SendError> Association::send(Message message, Instant now) {
  saw(now);
  switch (state_) {
    case State::kClosed:
    case State::kInitSent:
      return unexpected(shutdown_requested_ ? SendError::kShutdown : SendError::kNotUp);
    case State::kEstablished:
      break;
    default:  // RFC 6458 / Linux: EPIPE once SHUTDOWN started, from either side
      return unexpected(SendError::kShutdown);
  }
  const size_t len = message.payload.size();
  if (len == 0) return unexpected(SendError::kEmpty);
  if (len > our_format_.max_payload()) return unexpected(SendError::kTooBig);
  // With S in our INIT the stream word is gone: everything is stream 0.
  if (message.sid >= out_streams_ || (!our_format_.stream && message.sid != 0)) {
    return unexpected(SendError::kInvalidStream);
  }
  if (!can_send(len)) return unexpected(SendError::kNoBuffer);

  // Draft section 3: TSN from 0, +1 per DATA; SSN per stream as in SCTP
  // (RFC 9260 6.5), not advanced by unordered messages, which carry U and SSN 0.
  const bool unordered = (message.flags & kSctpUnordered) != 0;
  const uint16_t ssn = unordered ? uint16_t{0} : next_ssn_[message.sid]++;
  const uint8_t flags = unordered ? wire::kDataUnordered : uint8_t{0};
  const uint32_t tsn = next_tsn_++;
  wire::encode_data(tx_.out(), our_format_, flags, tsn, message.sid, ssn, message.ppid,
                    wire::Bytes(message.payload));
  unacked_.push(tsn, tx_.end_offset(), std::move(message));
  return {};
}

void Association::delivered(uint32_t count, Instant now) {
  saw(now);
  if (state_ == State::kDone) return;
  // Draft section 3: exactly one ACK per DATA chunk delivered to the upper
  // layer, in TSN order; never for DATA the sink has not accepted.
  const uint64_t n = std::min<uint64_t>(count, handed_ - acked_);
  if (!can_write()) {  // our FIN is out: the ACKs can no longer be written
    acked_ += n;
    return;
  }
  // Draft: a peer whose INIT carried T also gets ACKs without the TSN.
  const bool with_tsn = (reader_.peer_init_flags() & wire::kInitOmitTsn) == 0;
  wire::Buffer& out = tx_.out();
  for (uint64_t i = 0; i < n; ++i) wire::encode_ack(out, with_tsn, static_cast<uint32_t>(acked_++));
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
  if (!heartbeat_running()) return std::nullopt;
  return hb_.deadline(rto_.rto());
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
