// SPDX-License-Identifier: MIT
// Client half of each measurement, run in the parent process; see bench.hpp.
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "bench.hpp"

namespace sctpmap::perf {
namespace {

// Ping-pong stops early (and reports fewer samples) past this, so a stack
// that stalls every round trip (e.g. a Nagle/delayed-ACK interaction costing
// 40 ms each) still finishes in bounded time with a telling result.
constexpr int64_t kPingPongBudgetNs = 30'000'000'000;
// Watchdog slack on top of each step's expected length.
constexpr unsigned kSlackS = 30;

double percentile_us(const std::vector<int64_t>& sorted, double q) {
  // Nearest rank: the smallest sample with at least q of all at or below it.
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  const size_t i = std::min(sorted.size() - 1, rank > 0 ? rank - 1 : 0);
  return static_cast<double>(sorted[i]) / 1000.0;
}

// Opens count connections into fds; stops at the first failure.
std::string connect_many(Transport t, uint16_t port, uint32_t count, std::vector<int>* fds) {
  for (uint32_t i = 0; i < count; ++i) {
    const int fd = open_client(t, port);
    if (fd < 0) {
      std::string e = describe_error(t, "connect", fd);
      if (fd == -EMFILE) e += " (raise ulimit -n or lower --idle)";
      return e + " after " + std::to_string(i) + " connections";
    }
    fds->push_back(fd);
  }
  return {};
}

}  // namespace

std::string finish_throughput(ServerChild& srv, Transport t, const std::string& client_err, uint64_t sent,
                              uint32_t size, ThroughputSample* out) {
  Reply r{};
  if (std::string e = finish_step(srv, client_err, &r); !e.empty()) return e;
  disarm_watchdog();
  if (r.messages != sent) {
    return std::string(transport_name(t)) + ": lost messages: client sent " + std::to_string(sent) +
           ", server received " + std::to_string(r.messages);
  }
  if (r.messages < 2 || r.elapsed_ns <= 0) return std::string(transport_name(t)) + ": too few messages to time";
  // The first message starts the clock, so it is not counted.
  out->msgs_per_s = static_cast<double>(r.messages - 1) * 1e9 / static_cast<double>(r.elapsed_ns);
  out->mb_per_s = out->msgs_per_s * size / 1e6;
  return {};
}

std::string finish_idle(ServerChild& srv, Transport t, unsigned timeout, int64_t client_growth, const Reply& done,
                        IdleSample* out) {
  const Command release{Op::kIdleRelease, t, 0, 0, timeout};
  Reply r{};
  if (!write_command(srv.cmd_fd, release) || !read_reply(srv.reply_fd, &r)) return "server process is gone";
  disarm_watchdog();
  out->count = static_cast<uint32_t>(done.messages);
  out->client_kib = static_cast<double>(client_growth) / 1024.0 / out->count;
  out->server_kib = static_cast<double>(done.rss_delta) / 1024.0 / out->count;
  return {};
}

std::string run_throughput(ServerChild& srv, const BenchConfig& cfg, Transport t, uint32_t size,
                           ThroughputSample* out) {
  const auto timeout = static_cast<unsigned>(cfg.duration_s) + kSlackS;
  arm_watchdog(step_name("throughput test", t, size), timeout);
  const Command c{Op::kThroughput, t, size, 0, timeout};
  uint16_t port = 0;
  if (std::string e = start_step(srv, c, &port); !e.empty()) return e;
  const int fd = open_client(t, port);
  if (fd < 0) return describe_error(t, "connect", fd);
  MessageWriter writer(t, fd, size);
  const int64_t deadline = now_ns() + static_cast<int64_t>(cfg.duration_s * 1e9);
  uint64_t sent = 0;
  std::string client_err;
  while (now_ns() < deadline) {
    if (const int rc = writer.send(sent); rc < 0) {
      client_err = describe_error(t, "client send", rc);
      break;
    }
    ++sent;
  }
  // close() is graceful for both: queued data goes out before the FIN or
  // SHUTDOWN, and the server reads to EOF.
  ::close(fd);
  return finish_throughput(srv, t, client_err, sent, size, out);
}

std::string run_pingpong(ServerChild& srv, const BenchConfig& cfg, Transport t, uint32_t size, LatencySample* out) {
  const auto timeout = static_cast<unsigned>(kPingPongBudgetNs / 1'000'000'000) + kSlackS;
  arm_watchdog(step_name("ping-pong test", t, size), timeout);
  const Command c{Op::kPingPong, t, size, 0, timeout};
  uint16_t port = 0;
  if (std::string e = start_step(srv, c, &port); !e.empty()) return e;
  const int fd = open_client(t, port);
  if (fd < 0) return describe_error(t, "connect", fd);
  MessageWriter writer(t, fd, size);
  MessageReader reader(t, fd, size);
  std::vector<int64_t> rtt;
  rtt.reserve(cfg.pingpong_count);
  const uint64_t total = uint64_t{cfg.warmup_count} + cfg.pingpong_count;
  const int64_t deadline = now_ns() + kPingPongBudgetNs;
  std::string client_err;
  uint64_t seq = 0;
  for (; seq < total; ++seq) {
    const int64_t t0 = now_ns();
    if (t0 > deadline) break;
    if (const int rc = writer.send(seq); rc < 0) {
      client_err = describe_error(t, "client send", rc);
      break;
    }
    const ReadStatus st = reader.next(seq);
    if (st != ReadStatus::kMessage) {
      client_err = st == ReadStatus::kEof ? std::string(transport_name(t)) + ": server closed early"
                                          : "client: " + reader.error();
      break;
    }
    if (seq >= cfg.warmup_count) rtt.push_back(now_ns() - t0);
  }
  ::close(fd);
  Reply r{};
  if (std::string e = finish_step(srv, client_err, &r); !e.empty()) return e;
  disarm_watchdog();
  if (r.messages != seq) {
    return std::string(transport_name(t)) + ": server echoed " + std::to_string(r.messages) + " messages, client got " +
           std::to_string(seq);
  }
  if (rtt.empty()) return std::string(transport_name(t)) + ": no ping-pong sample within the time budget";
  std::sort(rtt.begin(), rtt.end());
  out->p50_us = percentile_us(rtt, 0.50);
  out->p99_us = percentile_us(rtt, 0.99);
  out->samples = static_cast<uint32_t>(rtt.size());
  return {};
}

std::string run_idle(ServerChild& srv, Transport t, uint32_t count, IdleSample* out) {
  // Emulated sockets may hold 2-3 fds each (the TCP socket plus wake-ups).
  const uint64_t limit = raise_nofile(4ull * count + 64);
  if (limit < uint64_t{count} + 64) {
    return "RLIMIT_NOFILE is " + std::to_string(limit) + ", too low for --idle " + std::to_string(count);
  }
  const unsigned timeout = 2 * kSlackS + count / 100;
  arm_watchdog(step_name("idle-memory test", t, 0), timeout);
  const Command c{Op::kIdleOpen, t, 0, count, timeout};
  uint16_t port = 0;
  if (std::string e = start_step(srv, c, &port); !e.empty()) return e;
  std::vector<int> fds;
  fds.reserve(count + 1);
  // One connection first, so whatever the library sets up on first use (its
  // reactor thread, rings, tables) is in the baseline, not in the per-
  // association figure.
  Reply r{};
  if (std::string e = connect_many(t, port, 1, &fds); !e.empty()) return e;
  if (std::string e = finish_step(srv, "", &r); !e.empty()) return e;
  sleep_ms(200);
  const int64_t before = rss_bytes();
  std::string err = connect_many(t, port, count, &fds);
  Reply done{};
  if (err.empty()) err = finish_step(srv, "", &done);
  sleep_ms(300);
  const int64_t after = rss_bytes();
  for (int fd : fds) ::close(fd);
  if (!err.empty()) return err;
  return finish_idle(srv, t, timeout, after - before, done, out);
}

}  // namespace sctpmap::perf
