// SPDX-License-Identifier: MIT
// Retransmission timeout estimator, RFC 9260 section 6.3.1 (rules C1-C7), fed
// with heartbeat round trips (RFC 9260 section 8.3: "perform an RTT measurement
// ... using the time value carried in the HEARTBEAT ACK"). Pure arithmetic on
// Durations; the caller passes the current RTO.Min/RTO.Max on every call so a
// configuration change applies without rebuilding the estimator.
#pragma once

#include "assoc/instant.hpp"

namespace sctpmap::assoc {

// The clock granularity G of RFC 9260 6.3.1 C3, used as a floor for RTTVAR, so
// a perfectly steady RTT still leaves 4G of slack above SRTT.
inline constexpr Duration kClockGranularity = std::chrono::milliseconds(1);

class RtoEstimator {
 public:
  explicit RtoEstimator(Duration initial) : rto_(initial) {}

  // C2/C3: folds one RTT measurement `r` in and recomputes RTO, clamped to
  // [min, max] (C6, C7). A negative `r` (impossible with a monotonic clock) is 0.
  void measure(Duration r, Duration min, Duration max);

  // Exponential back-off after an unanswered heartbeat (RFC 9260 8.3, and E2 of
  // 6.3.3): RTO = min(2 * RTO, RTO.Max).
  void back_off(Duration max);

  // Applies new bounds to the current value (SCTP_RTOINFO changed).
  void clamp(Duration min, Duration max);

  Duration rto() const { return rto_; }
  Duration srtt() const { return srtt_; }      // 0 until the first measurement
  Duration rttvar() const { return rttvar_; }  // 0 until the first measurement
  bool measured() const { return measured_; }

 private:
  Duration rto_;
  Duration srtt_{0};
  Duration rttvar_{0};
  bool measured_ = false;
};

}  // namespace sctpmap::assoc
