// SPDX-License-Identifier: MIT
// Results of one sctpmap-perf run and their two renderings: the comparison
// table for people and a JSON document for scripts. Ratios are always
// sctpmap / raw TCP, so for latency a ratio above 1 means sctpmap is slower.
// With --repeat N every figure is the median of the N runs (each metric on
// its own); the JSON also carries every run.
#pragma once

#include <cstdint>
#include <cstdio>
#include <vector>

#include "bench.hpp"

namespace sctpmap::perf {

inline constexpr int kTransportCount = 2;
inline constexpr size_t index_of(Transport t) { return static_cast<size_t>(t); }

struct TransportRuns {
  std::vector<ThroughputSample> throughput;
  std::vector<LatencySample> latency;
  bool ran() const { return !throughput.empty(); }
};

struct SizeResult {
  uint32_t size = 0;
  TransportRuns by_transport[kTransportCount];
};

// One-to-many mode: one row per association count.
struct ManyResult {
  uint32_t count = 0;
  std::vector<ThroughputSample> runs[kTransportCount];  // the runs that passed
  uint32_t failed[kTransportCount] = {0, 0};              // --keep-going: runs that failed
};

struct RunReport {
  BenchConfig cfg;
  uint32_t repeat = 1;
  std::vector<SizeResult> sizes;
  uint32_t idle_count = 0;
  bool idle_ran[kTransportCount] = {false, false};
  IdleSample idle[kTransportCount];
  std::vector<ManyResult> many;
  bool idle_many_ran = false;  // sctpmap one-to-many; raw TCP is idle[kTcp]
  IdleSample idle_many;
};

void print_table(FILE* out, const RunReport& rep);
void print_json(FILE* out, const RunReport& rep);

}  // namespace sctpmap::perf
