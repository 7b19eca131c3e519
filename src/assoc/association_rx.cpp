// SPDX-License-Identifier: MIT
// Association: the receive path. The wire::ChunkReader enforces the sequence
// rules (INIT first and once, CAPABILITY right after a promising INIT, DATA TSNs
// consecutive, fragment order); this file dispatches each chunk and handles
// the start and heartbeats. DATA and ACK are in association_data.cpp.
#include <algorithm>

#include "assoc/association.hpp"

namespace sctpmap::assoc {

size_t Association::receive(wire::Bytes bytes, Instant now, DeliverySink& sink) {
  saw(now);
  if (state_ == State::kDone) return bytes.size();  // nothing is listening any more
  size_t used = 0;
  while (true) {
    // The reader advances on every decoded chunk; a DATA chunk the sink refuses
    // must be read again next time, so keep the state to roll back to. The
    // reader is a few bytes of plain state: copying it is cheaper than
    // decoding twice.
    const wire::ChunkReader before = reader_;
    const wire::Decoded d = reader_.next(bytes.subspan(used));
    if (d.status == wire::Decoded::Status::kNeedMore) break;
    if (d.status == wire::Decoded::Status::kError) {
      fail(LossReason::kProtocolError, d.error);
      return bytes.size();
    }
    const Step step = on_chunk(d.chunk, now, sink);
    if (step == Step::kFailed) return bytes.size();
    if (step == Step::kRefused) {
      reader_ = before;
      break;
    }
    // Any whole chunk shows the peer's TCP and application are alive (OURS,
    // see heartbeat.hpp): a slow reader's heartbeat answers queue behind DATA.
    hb_.note_life();
    used += d.consumed;
  }
  return used;
}

Association::Step Association::on_chunk(const wire::Chunk& chunk, Instant now, DeliverySink& sink) {
  // Most frequent first: this runs once per chunk on the data path.
  if (const auto* d = std::get_if<wire::Data>(&chunk)) return on_data(*d, sink);
  if (const auto* a = std::get_if<wire::Ack>(&chunk)) return on_ack(*a);
  if (const auto* h = std::get_if<wire::Heartbeat>(&chunk)) {
    // Draft section 3 / RFC 9260 8.3: answer each HEARTBEAT with one HEARTBEAT
    // ACK echoing the info unchanged, unless our FIN is already out.
    if (can_write()) wire::encode_heartbeat_ack(tx_.out(), h->info);
    return Step::kNext;
  }
  if (const auto* h = std::get_if<wire::HeartbeatAck>(&chunk)) {
    on_heartbeat_ack(h->info, now);
    return Step::kNext;
  }
  if (std::holds_alternative<wire::Init>(chunk)) {
    // A draft peer sends no CAPABILITY: it takes any stream we use and we take
    // any it uses, up to our own limits. Otherwise wait for the CAPABILITY
    // (the reader guarantees it is the very next chunk).
    if ((reader_.peer_init_flags() & wire::kInitCapabilityFollows) == 0) {
      comm_up(announced_.outbound_streams, announced_.max_inbound_streams, now);
    }
    return Step::kNext;
  }
  if (const auto* c = std::get_if<wire::Capability>(&chunk)) return on_capability(*c, now);
  if (std::holds_alternative<wire::Shutdown>(chunk)) {
    on_shutdown_chunk();
    return Step::kNext;
  }
  if (const auto* e = std::get_if<wire::ErrorChunk>(&chunk)) {
    on_error_chunk(e->causes);
    return Step::kNext;
  }
  if (const auto* k = std::get_if<wire::Skipped>(&chunk)) on_skipped(*k);
  return Step::kNext;
}

// RFC 9260 3.2: a chunk type with high bits 11 that we do not know is
// skipped and reported with an "Unrecognized Chunk Type" cause carrying the
// chunk. Only to a peer that reads our ERROR chunk (docs/PROTOCOL.md 16).
void Association::on_skipped(const wire::Skipped& s) {
  if (!s.report || !peer_error_report_ || config_.strict_draft || !can_write()) return;
  wire::encode_error(tx_.out(), wire::kCauseUnrecognizedChunk, s.chunk);
}

// Linux (sctp_cmd_process_operr): one SCTP_REMOTE_ERROR per cause, its
// info padded to 4 with zeros (sctp_ulpevent_make_remote_error copies
// SCTP_PAD4 of the cause length). The codec has checked that the causes
// tile the value.
void Association::on_error_chunk(wire::Bytes causes) {
  size_t at = 0;
  while (at + 4 <= causes.size()) {
    const uint16_t code = static_cast<uint16_t>(causes[at] << 8 | causes[at + 1]);
    const size_t length = static_cast<size_t>(causes[at + 2] << 8 | causes[at + 3]);
    const size_t padded = (length + 3) & ~size_t{3};
    const wire::Bytes info = causes.subspan(at + 4, length - 4);
    std::vector<uint8_t> copy(info.begin(), info.end());
    copy.resize(padded - 4, 0);
    events_.push_back(RemoteError{code, std::move(copy)});
    at += std::min(padded, causes.size() - at);
  }
}

Association::Step Association::on_capability(const wire::Capability& c, Instant now) {
  // The reader only lets through the CAPABILITY right after an INIT that
  // promised it (docs/PROTOCOL.md section 7) and the codec refuses zero
  // stream counts; both checks are repeated here so this function is correct
  // on its own.
  if (state_ != State::kClosed && state_ != State::kInitSent) return Step::kNext;
  if ((reader_.peer_init_flags() & wire::kInitCapabilityFollows) == 0) return Step::kNext;
  // RFC 9260 3.3.2: zero outbound streams or zero MIS makes an INIT invalid.
  if (c.outbound_streams == 0 || c.max_inbound_streams == 0) {
    fail(LossReason::kProtocolError, wire::Error::kBadCapability);
    return Step::kFailed;
  }
  // RFC 9260 5.1.1: each direction uses the smaller of the sender's outbound
  // count and the receiver's maximum inbound count.
  ext_ = !config_.strict_draft;
  peer_error_report_ = (c.features & wire::kFeatureErrorReport) != 0;
  comm_up(std::min(announced_.outbound_streams, c.max_inbound_streams),
          std::min(announced_.max_inbound_streams, c.outbound_streams), now);
  // Linux reports the peer's adaptation indication right after COMM_UP
  // (sctp_sf_do_5_1E_ca), and only when the peer sent one.
  if (c.has_adaptation) events_.push_back(Adaptation{c.adaptation_ind});
  return Step::kNext;
}

void Association::on_heartbeat_ack(wire::Bytes info, Instant now) {
  const std::optional<Duration> rtt = hb_.on_ack(info, now);
  if (!rtt) return;  // stale (a newer heartbeat replaced it) or not ours: ignore
  // RFC 9260 8.3: measure RTT, clear the error counter.
  rto_.measure(*rtt, config_.rto_min, config_.rto_max);
  clear_errors(PathReason::kHeartbeatSuccess);
}

// RFC 9260 8.1/8.2 and Linux (sctp_cmd_transport_on, sctp_check_transmitted):
// an answer clears the error counter, and a path marked down comes back up
// with SCTP_ADDR_AVAILABLE.
void Association::clear_errors(PathReason why) {
  error_count_ = 0;
  if (!path_down_) return;
  path_down_ = false;
  events_.push_back(PathChange{true, why});
}

void Association::comm_up(uint16_t outbound, uint16_t inbound, Instant now) {
  if (state_ != State::kClosed && state_ != State::kInitSent) return;
  out_streams_ = outbound;
  in_streams_ = inbound;
  next_ssn_.assign(outbound, 0);
  state_ = State::kEstablished;
  events_.push_back(CommUp{outbound, inbound});
  if (config_.hb_enabled) hb_.arm(now, config_.hb_interval);
  // shutdown() came while connecting: start draining right away.
  if (shutdown_requested_) {
    state_ = State::kShutdownPending;
    maybe_send_shutdown();
  }
}

}  // namespace sctpmap::assoc
