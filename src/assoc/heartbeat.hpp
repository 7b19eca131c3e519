// SPDX-License-Identifier: MIT
// The heartbeat timer and the one outstanding HEARTBEAT (RFC 9260 section 8.3).
//
// The next heartbeat is due at base + interval + RTO, where base is when the
// last heartbeat was sent (or when the association came up) and RTO is read
// when the deadline is asked for, so an RTT measurement moves the deadline.
// RFC 9260 adds +/-50% RTO jitter to that; we leave it out: there is one path
// per association, nothing to desynchronise, and tests want exact send times.
//
// Liveness, OURS (the draft's section 4 is "TBD"): heartbeats share the byte
// stream with DATA, so an unanswered heartbeat only counts as a miss when
// nothing at all came from the peer since it was sent (any chunk proves the
// peer's TCP and application are alive) and our own reading was never paused
// in that time (a paused reader cannot see the answer). See docs/PROTOCOL.md.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "assoc/instant.hpp"
#include "wire/chunk.hpp"

namespace sctpmap::assoc {

class HeartbeatTimer {
 public:
  // Heartbeat Info, OURS: send time in ns (64 bits) then a nonce (64 bits),
  // both big-endian. Opaque to the peer, which echoes it unchanged.
  static constexpr size_t kInfoSize = 16;
  using Info = std::array<uint8_t, kInfoSize>;

  // Starts (or restarts) the countdown from `base`, with this interval.
  void arm(Instant base, Duration interval);
  // Stops the timer and forgets any outstanding heartbeat.
  void disarm();
  bool armed() const { return armed_; }
  Instant deadline(Duration rto) const { return base_ + interval_ + rto; }

  // Records a HEARTBEAT sent at `now` and returns the info to put in it. The
  // previous outstanding heartbeat, if any, is forgotten: its late answer will
  // not match. `paused`: our inbound is paused right now.
  const Info& send(Instant now, bool paused);
  bool outstanding() const { return outstanding_; }
  // True when the outstanding heartbeat is a miss (see the header comment).
  bool is_miss() const { return outstanding_ && !life_since_sent_ && !paused_since_sent_; }

  // A HEARTBEAT ACK arrived: when it echoes the outstanding info, clears it and
  // returns the round-trip time; otherwise (stale or forged) nullopt.
  std::optional<Duration> on_ack(wire::Bytes info, Instant now);

  void note_life() { life_since_sent_ = true; }      // any chunk from the peer
  void note_paused() { paused_since_sent_ = true; }  // set_inbound_paused(true)

 private:
  Instant base_{};
  Duration interval_{0};
  Instant sent_at_{};
  Info info_{};
  uint64_t nonce_ = 0;
  bool armed_ = false;
  bool outstanding_ = false;
  bool life_since_sent_ = false;
  bool paused_since_sent_ = false;
};

}  // namespace sctpmap::assoc
