// SPDX-License-Identifier: MIT
// sctpmap-perf: compares SCTP-over-TCP emulated by libsctpmap with plain TCP
// carrying the same messages, on 127.0.0.1, between two processes.
//
// For each message size it measures one-way throughput (messages/s and MB/s
// at the receiver) and ping-pong round-trip latency (p50, p99), alternating
// the two transports within the same run because absolute figures drift on a
// shared machine; then the RSS cost of idle connections. Every message's
// length and sequence number are checked on both transports; any mismatch,
// loss or early close fails the run (exit 1). A watchdog bounds every step
// (exit 3). Usage errors exit 2.
//
// This program must be linked against libsctpmap (it is, when built by
// Meson): socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) is then emulated while
// the TCP sockets pass straight to the kernel. Layout: tools/perf/.
#include <getopt.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "perf/bench.hpp"
#include "perf/control.hpp"
#include "perf/report.hpp"
#include "perf/transport.hpp"

namespace sctpmap::perf {
namespace {

struct Options {
  std::vector<uint32_t> sizes{64, 1024, 16384, 64000};
  BenchConfig cfg;
  uint32_t repeat = 1;
  uint32_t idle = 1000;
  std::vector<Transport> transports{Transport::kSctpmap, Transport::kTcp};
  bool json = false;
  std::vector<uint32_t> many;  // one-to-many mode: association counts
  uint32_t idle_many = 0;      // one-to-many mode: idle associations
  bool keep_going = false;     // one-to-many mode: count failed runs, go on
};

void usage(FILE* out) {
  std::fprintf(out,
               "usage: sctpmap-perf [options]\n"
               "  --sizes LIST           message sizes in bytes, comma-separated (default 64,1024,16384,64000;\n"
               "                         each %zu..%zu)\n"
               "  --duration SECONDS     length of each throughput run (default 2)\n"
               "  --pingpong-count N     timed round trips per latency run, after 200 warm-up (default 10000)\n"
               "  --repeat N             run everything N times, report medians (default 1)\n"
               "  --idle N               idle connections for the memory test, 0 to skip (default 1000)\n"
               "  --only sctpmap|tcp     run one transport only\n"
               "  --json                 JSON on stdout, the table on stderr\n"
               "one-to-many mode (either option selects it; the tests above are then not run):\n"
               "  --many[=LIST]          association counts, comma-separated (default 1,10,100,1000; each\n"
               "                         1..5000): aggregate msg/s of N concurrent senders into ONE server socket\n"
               "  --many-size BYTES      message size in that mode (default 1024)\n"
               "  --many-senders N       client sender threads in that mode (default 2)\n"
               "  --idle-many N          N idle associations on ONE one-to-many server socket, RSS per\n"
               "                         association beside N raw TCP connections (e.g. 10000)\n"
               "  --keep-going           in that mode, report a failed throughput run (loss, bad sequence, error)\n"
               "                         on stderr, count it in the table and go on; exit 1 at the end\n"
               "exit: 0 ok, 1 measurement or verification failure, 2 usage, 3 timeout\n",
               kMinMessageBytes, kMaxMessageBytes);
}

bool parse_u32(const char* s, uint32_t lo, uint32_t hi, uint32_t* out) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long v = std::strtoull(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) return false;
  *out = static_cast<uint32_t>(v);
  return true;
}

bool parse_list(const char* arg, uint32_t lo, uint32_t hi, std::vector<uint32_t>* sizes) {
  sizes->clear();
  std::string s(arg);
  size_t pos = 0;
  while (pos <= s.size()) {
    const size_t comma = std::min(s.find(',', pos), s.size());
    uint32_t v = 0;
    if (!parse_u32(s.substr(pos, comma - pos).c_str(), lo, hi, &v)) return false;
    sizes->push_back(v);
    pos = comma + 1;
  }
  return !sizes->empty();
}

bool parse_duration(const char* s, double* out) {
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  if (end == s || *end != '\0' || !(v >= 0.1 && v <= 600)) return false;
  *out = v;
  return true;
}

bool parse_only(const char* s, std::vector<Transport>* out) {
  if (std::strcmp(s, "sctpmap") == 0) *out = {Transport::kSctpmap};
  else if (std::strcmp(s, "tcp") == 0) *out = {Transport::kTcp};
  else return false;
  return true;
}

// Returns false after printing what was wrong.
bool parse_options(int argc, char** argv, Options* o) {
  enum { kSizes = 1, kDuration, kCount, kRepeat, kIdle, kOnly, kJson, kHelp, kMany, kManySize, kSenders, kIdleMany, kKeepGoing };
  static const option longopts[] = {
      {"sizes", required_argument, nullptr, kSizes},   {"duration", required_argument, nullptr, kDuration},
      {"pingpong-count", required_argument, nullptr, kCount}, {"repeat", required_argument, nullptr, kRepeat},
      {"idle", required_argument, nullptr, kIdle},     {"only", required_argument, nullptr, kOnly},
      {"json", no_argument, nullptr, kJson},           {"help", no_argument, nullptr, kHelp},
      {"many", optional_argument, nullptr, kMany},     {"many-size", required_argument, nullptr, kManySize},
      {"many-senders", required_argument, nullptr, kSenders}, {"idle-many", required_argument, nullptr, kIdleMany},
      {"keep-going", no_argument, nullptr, kKeepGoing},
      {nullptr, 0, nullptr, 0}};
  int c;
  while ((c = getopt_long(argc, argv, "", longopts, nullptr)) != -1) {
    bool ok = true;
    switch (c) {
      case kSizes: ok = parse_list(optarg, kMinMessageBytes, kMaxMessageBytes, &o->sizes); break;
      case kDuration: ok = parse_duration(optarg, &o->cfg.duration_s); break;
      case kCount: ok = parse_u32(optarg, 1, 10'000'000, &o->cfg.pingpong_count); break;
      case kRepeat: ok = parse_u32(optarg, 1, 1000, &o->repeat); break;
      case kIdle: ok = parse_u32(optarg, 0, 1'000'000, &o->idle); break;
      case kOnly: ok = parse_only(optarg, &o->transports); break;
      case kJson: o->json = true; break;
      case kMany:
        o->many = {1, 10, 100, 1000};
        if (optarg != nullptr) ok = parse_list(optarg, 1, 5000, &o->many);
        break;
      case kManySize: ok = parse_u32(optarg, kMinMessageBytes, kMaxMessageBytes, &o->cfg.many_size); break;
      case kSenders: ok = parse_u32(optarg, 1, 64, &o->cfg.many_senders); break;
      case kIdleMany: ok = parse_u32(optarg, 1, 1'000'000, &o->idle_many); break;
      case kKeepGoing: o->keep_going = true; break;
      case kHelp: usage(stdout); std::exit(0);
      default: usage(stderr); return false;  // getopt has said what was wrong
    }
    if (!ok) {
      std::fprintf(stderr, "sctpmap-perf: bad value '%s'\n", optarg);
      usage(stderr);
      return false;
    }
  }
  if (optind != argc) {
    std::fprintf(stderr, "sctpmap-perf: unexpected argument '%s'\n", argv[optind]);
    return false;
  }
  return true;
}

std::string run_idle_all(ServerChild& srv, const Options& o, RunReport* rep) {
  rep->idle_count = o.idle;
  for (Transport t : o.transports) {
    std::fprintf(stderr, "sctpmap-perf: idle memory, %u %s connections\n", o.idle, transport_name(t));
    if (std::string e = run_idle(srv, t, o.idle, &rep->idle[index_of(t)]); !e.empty()) return e;
    rep->idle_ran[index_of(t)] = true;
  }
  return {};
}

// One repeat of one size: throughput for each transport, then latency for
// each; the order flips on odd repeats so neither always runs first.
std::string run_one(ServerChild& srv, const Options& o, uint32_t r, SizeResult* res) {
  std::vector<Transport> order = o.transports;
  if (r % 2 == 1) std::reverse(order.begin(), order.end());
  for (Transport t : order) {
    ThroughputSample s;
    if (std::string e = run_throughput(srv, o.cfg, t, res->size, &s); !e.empty()) return e;
    res->by_transport[index_of(t)].throughput.push_back(s);
  }
  for (Transport t : order) {
    LatencySample s;
    if (std::string e = run_pingpong(srv, o.cfg, t, res->size, &s); !e.empty()) return e;
    res->by_transport[index_of(t)].latency.push_back(s);
  }
  return {};
}

// Idle first: the heap is then closest to fresh, so freed memory from the
// other tests cannot hide part of the per-connection cost.
std::string run_all(ServerChild& srv, const Options& o, RunReport* rep) {
  rep->cfg = o.cfg;
  rep->repeat = o.repeat;
  if (o.idle > 0) {
    if (std::string e = run_idle_all(srv, o, rep); !e.empty()) return e;
  }
  for (uint32_t size : o.sizes) {
    rep->sizes.push_back(SizeResult{size, {}});
    for (uint32_t r = 0; r < o.repeat; ++r) {
      std::fprintf(stderr, "sctpmap-perf: %u-byte messages, run %u/%u\n", size, r + 1, o.repeat);
      if (std::string e = run_one(srv, o, r, &rep->sizes.back()); !e.empty()) return e;
    }
  }
  return {};
}

// One-to-many mode: the throughput table (transports alternate within a
// repeat, as in run_one), then idle memory: sctpmap's one-to-many socket and
// raw TCP's listening socket with the same number of connections.
std::string run_many_all(ServerChild& srv, const Options& o, RunReport* rep) {
  rep->cfg = o.cfg;
  rep->repeat = o.repeat;
  for (uint32_t count : o.many) {
    rep->many.push_back(ManyResult{count, {}});
    for (uint32_t r = 0; r < o.repeat; ++r) {
      std::fprintf(stderr, "sctpmap-perf: one-to-many, %u associations, run %u/%u\n", count, r + 1, o.repeat);
      std::vector<Transport> order = o.transports;
      if (r % 2 == 1) std::reverse(order.begin(), order.end());
      for (Transport t : order) {
        ThroughputSample s;
        std::string e = run_many_throughput(srv, o.cfg, t, count, &s);
        if (!e.empty() && !o.keep_going) return e;
        if (!e.empty()) {
          // The step has ended on both sides (a hang would have hit the
          // watchdog), so the next one starts clean.
          std::fprintf(stderr, "sctpmap-perf: run failed, going on: %s\n", e.c_str());
          ++rep->many.back().failed[index_of(t)];
          continue;
        }
        rep->many.back().runs[index_of(t)].push_back(s);
      }
    }
  }
  if (o.idle_many == 0) return {};
  for (Transport t : o.transports) {
    std::fprintf(stderr, "sctpmap-perf: idle memory, %u %s associations on one server socket\n", o.idle_many,
                 transport_name(t));
    if (t == Transport::kSctpmap) {
      if (std::string e = run_idle_many(srv, o.idle_many, &rep->idle_many); !e.empty()) return e;
      rep->idle_many_ran = true;
    } else {
      rep->idle_count = o.idle_many;
      if (std::string e = run_idle(srv, t, o.idle_many, &rep->idle[index_of(t)]); !e.empty()) return e;
      rep->idle_ran[index_of(t)] = true;
    }
  }
  return {};
}

int run_client(const Options& o) {
  set_watchdog_role("client");
  ServerChild srv;
  if (const int rc = spawn_server(&srv); rc < 0) {
    std::fprintf(stderr, "sctpmap-perf: cannot start the server process: %s\n", std::strerror(-rc));
    return kExitVerify;
  }
  RunReport rep;
  const bool many_mode = !o.many.empty() || o.idle_many > 0;
  const std::string err = many_mode ? run_many_all(srv, o, &rep) : run_all(srv, o, &rep);
  if (!err.empty()) {
    kill_server(&srv);
    std::fprintf(stderr, "sctpmap-perf: FAILED: %s\n", err.c_str());
    return kExitVerify;
  }
  stop_server(&srv);
  print_table(o.json ? stderr : stdout, rep);
  if (o.json) print_json(stdout, rep);
  for (const ManyResult& m : rep.many)
    if (m.failed[0] + m.failed[1] > 0) return kExitVerify;
  return 0;
}

}  // namespace
}  // namespace sctpmap::perf

int main(int argc, char** argv) {
  using namespace sctpmap::perf;
  // The server process is this binary re-executed by spawn_server().
  if (argc == 4 && std::strcmp(argv[1], "--serve") == 0) return serve(std::atoi(argv[2]), std::atoi(argv[3]));
  Options o;
  if (!parse_options(argc, argv, &o)) return kExitUsage;
  return run_client(o);
}
