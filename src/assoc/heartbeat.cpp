// SPDX-License-Identifier: MIT
#include "assoc/heartbeat.hpp"

#include <algorithm>

namespace sctpmap::assoc {
namespace {

void put64(uint8_t* p, uint64_t v) {
  for (int i = 7; i >= 0; --i) {
    p[i] = static_cast<uint8_t>(v);
    v >>= 8;
  }
}

}  // namespace

void HeartbeatTimer::arm(Instant base, Duration interval) {
  base_ = base;
  interval_ = interval;
  armed_ = true;
}

void HeartbeatTimer::disarm() {
  armed_ = false;
  outstanding_ = false;
}

const HeartbeatTimer::Info& HeartbeatTimer::send(Instant now, bool paused) {
  put64(info_.data(), static_cast<uint64_t>(now.ns));
  put64(info_.data() + 8, nonce_++);
  sent_at_ = now;
  outstanding_ = true;
  life_since_sent_ = false;
  paused_since_sent_ = paused;
  return info_;
}

std::optional<Duration> HeartbeatTimer::on_ack(wire::Bytes info, Instant now) {
  // RFC 9260 8.3: the RTT comes from the echoed info; we compare the whole info
  // with what we sent and use our own copy of the send time, so a peer cannot
  // skew the RTO by echoing something else.
  if (!outstanding_ || info.size() != kInfoSize || !std::equal(info.begin(), info.end(), info_.begin())) {
    return std::nullopt;
  }
  outstanding_ = false;
  return now - sent_at_;
}

}  // namespace sctpmap::assoc
