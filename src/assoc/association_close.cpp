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
  } else if (state_ == State::kClosed || state_ == State::kInitSent) {
    shutdown_requested_ = true;  // comm_up() moves straight to kShutdownPending
  }
}

void Association::fin_sent(Instant now) {
  saw(now);
  if (state_ == State::kShutdownPending) {
    state_ = State::kShutdownSent;
    hb_.disarm();  // heartbeats can no longer be written
  } else if (state_ == State::kPeerShutdown) {
    finish(ShutdownComplete{});
  }
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
    case State::kPeerShutdown:
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
  // oldest first, with SCTP_DATA_SENT when its bytes reached TCP.
  events_.push_back(CommLost{reason, error});
  unacked_.drain(tx_.consumed_offset(), [this](SendFailed&& f) { events_.push_back(std::move(f)); });
  tx_.clear();
  hb_.disarm();
  state_ = State::kDone;
}

void Association::finish(Event event) {
  events_.push_back(std::move(event));
  unacked_.clear();
  tx_.clear();
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
  if (!heartbeat_running() || now < hb_.deadline(rto_.rto())) return;
  if (hb_.is_miss()) {
    // RFC 9260 8.3: an unanswered heartbeat counts against the error counter
    // and backs the RTO off. One path, so the path and association limits
    // (8.1, 8.2) collapse into the smaller of the two.
    ++error_count_;
    rto_.back_off(config_.rto_max);
    const uint16_t limit = std::min(config_.path_max_retrans, config_.assoc_max_retrans);
    if (error_count_ > limit) {
      fail(LossReason::kHeartbeatTimeout);
      return;
    }
  }
  send_heartbeat(now);
}

void Association::send_heartbeat(Instant now) {
  wire::encode_heartbeat(tx_.out(), hb_.send(now, inbound_paused_));
  hb_.arm(now, config_.hb_interval);
}

}  // namespace sctpmap::assoc
