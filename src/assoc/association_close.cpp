// SPDX-License-Identifier: MIT
// Association: graceful shutdown, failures and the heartbeat timer.
//
// Shutdown maps SCTP's SHUTDOWN (RFC 9260 section 9.2) onto TCP's half-close
// (OURS, the draft leaves it open): after shutdown() we wait until every DATA is
// ACKed, then FIN; the peer reports SHUTDOWN_EVENT on that FIN, flushes what it
// has queued and FINs back; each side reports SHUTDOWN_COMP when both
// directions are closed. Messages still un-ACKed at that point are dropped
// without SEND_FAILED: TCP delivered them to the peer's stack, and only a peer
// that closed before its application read them can have lost them.
#include <algorithm>

#include "assoc/association.hpp"

namespace sctpmap::assoc {

void Association::shutdown(Instant now) {
  saw(now);
  if (state_ == State::kEstablished) {
    state_ = State::kShutdownPending;
    maybe_send_shutdown();
  } else if (state_ == State::kClosed || state_ == State::kInitSent) {
    shutdown_requested_ = true;  // comm_up() moves straight to kShutdownPending
  }
}

void Association::fin_sent(Instant now) {
  saw(now);
  if (state_ != State::kShutdownPending && state_ != State::kPeerShutdown) return;
  if (peer_fin_) {
    finish(ShutdownComplete{});  // both directions are closed now
    return;
  }
  state_ = State::kShutdownSent;
  hb_.disarm();  // heartbeats can no longer be written
}

void Association::maybe_send_shutdown() {
  if (!ext_ || state_ != State::kShutdownPending || shutdown_chunk_sent_ || !unacked_.empty()) return;
  wire::encode_shutdown(tx_.out());
  shutdown_chunk_sent_ = true;
}

// The peer's SHUTDOWN chunk (extension mode): it sends no more DATA but still
// reads and ACKs ours; we FIN once all of ours is ACKed (wants_fin).
void Association::on_shutdown_chunk() {
  if (!ext_ || peer_shutdown_chunk_) return;
  peer_shutdown_chunk_ = true;
  if (state_ == State::kEstablished) {
    state_ = State::kPeerShutdown;
    hb_.disarm();
  }
  // Linux reports SCTP_SHUTDOWN_EVENT when the peer's SHUTDOWN arrives, also
  // in SHUTDOWN-PENDING; not once its own SHUTDOWN is out (both closing at once).
  if (state_ == State::kPeerShutdown || !shutdown_chunk_sent_) events_.push_back(PeerShutdown{});
}

void Association::on_eof(Instant now) {
  saw(now);
  switch (state_) {
    case State::kClosed:
    case State::kInitSent:
      finish(CantStart{});  // Linux: SCTP_CANT_STR_ASSOC
      break;
    case State::kEstablished:
    case State::kShutdownPending:
    case State::kPeerShutdown:
      abort_partial();  // the rest of a half-delivered message can no longer come
      // A peer that has not taken all our messages cannot ACK them any more:
      // it closed (or its process died, which its kernel turns into a FIN
      // once our engine had drained its socket) without taking them. Linux
      // SCTP aborts on a close with unread data; so do we, and SEND_FAILED
      // hands the messages back (docs/PROTOCOL.md, "Shutdown and abort").
      if (!unacked_.empty()) {
        fail(LossReason::kPeerClosedUnacked);
        break;
      }
      peer_fin_ = true;
      if (state_ == State::kPeerShutdown || shutdown_chunk_sent_) break;  // already reported
      // Linux reports SCTP_SHUTDOWN_EVENT when the peer's SHUTDOWN arrives, also
      // while our own shutdown is pending. The peer can no longer answer
      // heartbeats, so stop sending them.
      events_.push_back(PeerShutdown{});
      state_ = State::kPeerShutdown;
      hb_.disarm();
      break;
    case State::kShutdownSent:
      finish(ShutdownComplete{});
      break;
    case State::kDone:
      break;
  }
}

void Association::on_transport_error(bool reset, Instant now) {
  saw(now);
  if (state_ == State::kDone) return;
  if (state_ == State::kClosed || state_ == State::kInitSent) {
    finish(CantStart{});
    return;
  }
  fail(reset ? LossReason::kPeerReset : LossReason::kTransportError);
}

void Association::abort(Instant now) {
  saw(now);
  if (state_ == State::kDone) return;
  // Linux aborting a connecting association reports SCTP_CANT_STR_ASSOC
  // (sctp_stop_t1_and_abort), not COMM_LOST.
  if (state_ == State::kClosed || state_ == State::kInitSent) {
    finish(CantStart{});
    return;
  }
  fail(LossReason::kLocalAbort);
}

void Association::fail(LossReason reason, wire::Error error) {
  // RFC 6458 6.1.5: COMM_LOST, then one SEND_FAILED per undelivered message,
  // oldest first, with SCTP_DATA_SENT when its bytes reached TCP. Linux
  // (sctp_cmd_assoc_failed) aborts a partial delivery first.
  abort_partial();
  events_.push_back(CommLost{reason, error});
  unacked_.drain(tx_.consumed_offset(), [this](SendFailed&& f) { events_.push_back(std::move(f)); });
  tx_.clear();
  reset_reassembly();
  hb_.disarm();
  state_ = State::kDone;
}

void Association::abort_partial() {
  if (!rx_pd_open_) return;
  events_.push_back(PartialDeliveryAborted{rx_first_.sid, rx_first_.ssn});
  rx_pd_open_ = false;
}

void Association::finish(Event event) {
  events_.push_back(std::move(event));
  unacked_.clear();
  tx_.clear();
  reset_reassembly();
  hb_.disarm();
  state_ = State::kDone;
}

bool Association::heartbeat_running() const {
  // Heartbeats need both directions: not before CommUp, not after either FIN.
  return hb_.armed() && (state_ == State::kEstablished || state_ == State::kShutdownPending);
}

bool Association::can_write() const { return state_ != State::kShutdownSent && state_ != State::kDone; }

void Association::on_timeout(Instant now) {
  saw(now);
  expire_tail(now);
  if (!heartbeat_running() || now < hb_.deadline(rto_.rto())) return;
  if (hb_.is_miss()) {
    // RFC 9260 8.3: an unanswered heartbeat counts against the error counter
    // and backs the RTO off. One path, one counter, two limits, as Linux
    // (sctp_do_8_2_transport_strike, sctp_sf_sendbeat_8_3): beyond
    // Path.Max.Retrans the path is down (SCTP_ADDR_UNREACHABLE, once);
    // beyond Association.Max.Retrans the association fails.
    ++error_count_;
    rto_.back_off(config_.rto_max);
    if (error_count_ > config_.assoc_max_retrans) {
      fail(LossReason::kHeartbeatTimeout);
      return;
    }
    if (error_count_ > config_.path_max_retrans && !path_down_) {
      path_down_ = true;
      events_.push_back(PathChange{false, PathReason::kFailedThreshold});
    }
  }
  send_heartbeat(now);
}

void Association::send_heartbeat(Instant now) {
  wire::encode_heartbeat(tx_.out(), hb_.send(now, inbound_paused_));
  hb_.arm(now, config_.hb_interval);
}

}  // namespace sctpmap::assoc
