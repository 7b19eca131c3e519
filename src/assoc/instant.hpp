// SPDX-License-Identifier: MIT
// Time as an explicit input. The protocol core never reads a clock: the engine
// passes steady_clock nanoseconds in, tests pass a simulated clock.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>

namespace sctpmap {

using Duration = std::chrono::nanoseconds;

struct Instant {
  int64_t ns = 0;  // nanoseconds on some monotonic clock; only differences matter

  static constexpr Instant from_ns(int64_t v) { return Instant{v}; }
  constexpr auto operator<=>(const Instant&) const = default;
  constexpr Instant operator+(Duration d) const { return Instant{ns + d.count()}; }
  constexpr Instant operator-(Duration d) const { return Instant{ns - d.count()}; }
  constexpr Duration operator-(Instant o) const { return Duration{ns - o.ns}; }
  constexpr Instant& operator+=(Duration d) {
    ns += d.count();
    return *this;
  }
};

}  // namespace sctpmap
