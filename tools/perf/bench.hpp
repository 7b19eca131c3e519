// SPDX-License-Identifier: MIT
// The three measurements of sctpmap-perf, each split into a client half
// (parent process, bench_client.cpp) and a server half (child process,
// bench_server.cpp). The halves run identical code for both transports; only
// the Transport value passed down to transport.hpp differs.
//
// Client functions return an empty string on success or the reason for the
// failure (the server's own report if it saw the problem first).
#pragma once

#include <cstdint>
#include <string>

#include "control.hpp"
#include "transport.hpp"

namespace sctpmap::perf {

struct ThroughputSample {
  double msgs_per_s = 0;  // at the receiver, first message to EOF
  double mb_per_s = 0;    // payload only, 10^6 bytes
};

struct LatencySample {
  double p50_us = 0;  // round trip, client send to client receive
  double p99_us = 0;
  uint32_t samples = 0;  // fewer than --pingpong-count if the time budget ran out
};

struct IdleSample {
  uint32_t count = 0;
  double client_kib = 0;  // RSS growth per connection, KiB
  double server_kib = 0;
};

struct BenchConfig {
  double duration_s = 2.0;
  uint32_t pingpong_count = 10000;
  uint32_t warmup_count = 200;
};

std::string run_throughput(ServerChild& srv, const BenchConfig& cfg, Transport t, uint32_t size,
                           ThroughputSample* out);
std::string run_pingpong(ServerChild& srv, const BenchConfig& cfg, Transport t, uint32_t size, LatencySample* out);
std::string run_idle(ServerChild& srv, Transport t, uint32_t count, IdleSample* out);

// The server process: answers Commands until kQuit or EOF on cmd_fd.
// Returns the process exit status.
int serve(int cmd_fd, int reply_fd);

}  // namespace sctpmap::perf
