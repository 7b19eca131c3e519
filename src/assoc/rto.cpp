// SPDX-License-Identifier: MIT
#include "assoc/rto.hpp"

#include <algorithm>

namespace sctpmap::assoc {

void RtoEstimator::measure(Duration r, Duration min, Duration max) {
  r = std::max(r, Duration{0});
  if (!measured_) {
    // C2: the first measurement sets SRTT = R, RTTVAR = R/2.
    srtt_ = r;
    rttvar_ = r / 2;
    measured_ = true;
  } else {
    // C3: RTTVAR uses the SRTT from before this update, so RTTVAR goes first.
    // RTO.Alpha = 1/8, RTO.Beta = 1/4 (RFC 9260 section 16).
    const Duration diff = srtt_ > r ? srtt_ - r : r - srtt_;
    rttvar_ = (3 * rttvar_ + diff) / 4;
    srtt_ = (7 * srtt_ + r) / 8;
  }
  // C3: "if RTTVAR is computed equal to 0, then adjust RTTVAR <- G". With a
  // nanosecond clock RTTVAR decays towards 0 in tiny steps and would then jump
  // back to G; using G as a floor keeps a steady RTT's RTO steady.
  if (rttvar_ < kClockGranularity) rttvar_ = kClockGranularity;
  rto_ = srtt_ + 4 * rttvar_;
  clamp(min, max);
}

void RtoEstimator::back_off(Duration max) { rto_ = std::min(2 * rto_, max); }

void RtoEstimator::clamp(Duration min, Duration max) {
  // C6 then C7: with min > max (a bad configuration) the maximum wins, which
  // keeps failure detection bounded.
  rto_ = std::min(std::max(rto_, min), max);
}

}  // namespace sctpmap::assoc
