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
  uint32_t many_size = 1024;   // one-to-many mode: message bytes
  uint32_t many_senders = 2;   // one-to-many mode: client sender threads
};

std::string run_throughput(ServerChild& srv, const BenchConfig& cfg, Transport t, uint32_t size,
                           ThroughputSample* out);
std::string run_pingpong(ServerChild& srv, const BenchConfig& cfg, Transport t, uint32_t size, LatencySample* out);
std::string run_idle(ServerChild& srv, Transport t, uint32_t count, IdleSample* out);

// One-to-many mode (many_client.cpp): `count` client associations sending
// cfg.many_size-byte messages concurrently to one server socket (sctpmap:
// one one-to-many socket; tcp: one epoll loop); aggregate rate at the server.
std::string run_many_throughput(ServerChild& srv, const BenchConfig& cfg, Transport t, uint32_t count,
                                ThroughputSample* out);
// `count` idle associations on one sctpmap one-to-many server socket (the
// raw TCP figure is run_idle's). Raises RLIMIT_NOFILE; says so if it cannot.
std::string run_idle_many(ServerChild& srv, uint32_t count, IdleSample* out);

// Shared ends of the client halves. finish_throughput reads the server's
// closing reply, checks it counted all `sent` messages, and computes the rate
// (first message to last). finish_idle releases the server's idle
// connections and computes the per-connection RSS growth (done.messages of
// them, done.rss_delta on the server).
std::string finish_throughput(ServerChild& srv, Transport t, const std::string& client_err, uint64_t sent,
                              uint32_t size, ThroughputSample* out);
std::string finish_idle(ServerChild& srv, Transport t, unsigned timeout, int64_t client_growth, const Reply& done,
                        IdleSample* out);

// The server process: answers Commands until kQuit or EOF on cmd_fd.
// Returns the process exit status.
int serve(int cmd_fd, int reply_fd);

}  // namespace sctpmap::perf
