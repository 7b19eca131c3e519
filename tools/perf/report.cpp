// SPDX-License-Identifier: MIT
// Table and JSON output; see report.hpp.
#include "report.hpp"

#include <algorithm>
#include <string>

namespace sctpmap::perf {
namespace {

constexpr Transport kBoth[] = {Transport::kSctpmap, Transport::kTcp};

// Medians of each metric; the table never mixes figures from different runs
// in one cell except through this.
struct Medians {
  double msgs_per_s = 0;
  double mb_per_s = 0;
  double p50_us = 0;
  double p99_us = 0;
  uint32_t min_samples = 0;
};

template <typename T, typename F>
double median_of(const std::vector<T>& runs, F field) {
  std::vector<double> v;
  for (const T& r : runs) v.push_back(field(r));
  std::sort(v.begin(), v.end());
  if (v.empty()) return 0;
  const size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

Medians medians(const TransportRuns& runs) {
  Medians m;
  m.msgs_per_s = median_of(runs.throughput, [](const ThroughputSample& s) { return s.msgs_per_s; });
  m.mb_per_s = median_of(runs.throughput, [](const ThroughputSample& s) { return s.mb_per_s; });
  m.p50_us = median_of(runs.latency, [](const LatencySample& s) { return s.p50_us; });
  m.p99_us = median_of(runs.latency, [](const LatencySample& s) { return s.p99_us; });
  m.min_samples = UINT32_MAX;
  for (const LatencySample& s : runs.latency) m.min_samples = std::min(m.min_samples, s.samples);
  return m;
}

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

std::string ratio_cell(bool both, double a, double b) { return both && b > 0 ? fmt("%.2f", a / b) : "-"; }

std::string lat_cell(bool ran, const Medians& m) {
  if (!ran) return "-";
  return fmt("%.1f", m.p50_us) + "/" + fmt("%.1f", m.p99_us);
}

void print_row(FILE* out, const SizeResult& s, uint32_t want_samples, bool* truncated) {
  const TransportRuns& sr = s.by_transport[index_of(Transport::kSctpmap)];
  const TransportRuns& tr = s.by_transport[index_of(Transport::kTcp)];
  const Medians sm = medians(sr);
  const Medians tm = medians(tr);
  const bool both = sr.ran() && tr.ran();
  auto cell = [](bool ran, const char* f, double v) { return ran ? fmt(f, v) : std::string("-"); };
  std::fprintf(out, "%6u | %13s | %13s | %5s | %12s | %10s | %5s | %18s | %18s | %9s\n", s.size,
               cell(sr.ran(), "%.0f", sm.msgs_per_s).c_str(), cell(tr.ran(), "%.0f", tm.msgs_per_s).c_str(),
               ratio_cell(both, sm.msgs_per_s, tm.msgs_per_s).c_str(), cell(sr.ran(), "%.1f", sm.mb_per_s).c_str(),
               cell(tr.ran(), "%.1f", tm.mb_per_s).c_str(), ratio_cell(both, sm.mb_per_s, tm.mb_per_s).c_str(),
               lat_cell(sr.ran(), sm).c_str(), lat_cell(tr.ran(), tm).c_str(),
               ratio_cell(both, sm.p50_us, tm.p50_us).c_str());
  // UINT32_MAX: that transport did not run.
  for (const Medians* m : {&sm, &tm})
    if (m->min_samples != UINT32_MAX && m->min_samples < want_samples) *truncated = true;
}

void print_idle(FILE* out, const RunReport& rep) {
  std::fprintf(out, "\nidle memory, %u connections each, RSS growth per connection (KiB):\n", rep.idle_count);
  for (Transport t : kBoth) {
    if (!rep.idle_ran[index_of(t)]) continue;
    const IdleSample& s = rep.idle[index_of(t)];
    std::fprintf(out, "  %-8s client %8.2f   server %8.2f\n", t == Transport::kTcp ? "raw TCP" : "sctpmap", s.client_kib,
                 s.server_kib);
  }
  std::fprintf(out, "  (kernel socket buffers are not in RSS; raw TCP is the baseline)\n");
}

double median_rate(const std::vector<ThroughputSample>& runs) {
  return median_of(runs, [](const ThroughputSample& s) { return s.msgs_per_s; });
}

void print_many(FILE* out, const RunReport& rep) {
  std::fprintf(out,
               "one-to-many: ONE server socket (sctpmap: one SOCK_SEQPACKET socket; raw: one epoll loop over N TCP\n"
               "connections), N client associations sending %u-byte messages concurrently from %u sender threads,\n"
               "%.1f s per run, median of the passing runs of %u; aggregate msg/s at the server; ratio = sctpmap/raw\n\n",
               rep.cfg.many_size, rep.cfg.many_senders, rep.cfg.duration_s, rep.repeat);
  std::fprintf(out, "%6s | %13s | %13s | %5s | %12s | %10s | %13s\n", "assocs", "sctpmap msg/s", "raw msg/s", "ratio",
               "sctpmap MB/s", "raw MB/s", "failed s / raw");
  for (const ManyResult& m : rep.many) {
    const auto& sr = m.runs[index_of(Transport::kSctpmap)];
    const auto& tr = m.runs[index_of(Transport::kTcp)];
    const double s = median_rate(sr);
    const double t = median_rate(tr);
    auto cell = [](bool ran, const char* f, double v) { return ran ? fmt(f, v) : std::string("-"); };
    const std::string failed = std::to_string(m.failed[0]) + " / " + std::to_string(m.failed[1]);
    std::fprintf(out, "%6u | %13s | %13s | %5s | %12s | %10s | %13s\n", m.count, cell(!sr.empty(), "%.0f", s).c_str(),
                 cell(!tr.empty(), "%.0f", t).c_str(), ratio_cell(!sr.empty() && !tr.empty(), s, t).c_str(),
                 cell(!sr.empty(), "%.1f", s * rep.cfg.many_size / 1e6).c_str(),
                 cell(!tr.empty(), "%.1f", t * rep.cfg.many_size / 1e6).c_str(), failed.c_str());
  }
}

void print_idle_many(FILE* out, const RunReport& rep) {
  std::fprintf(out, "\nidle associations on ONE server socket, %u of them, RSS growth per association (KiB):\n",
               rep.idle_many.count);
  std::fprintf(out, "  sctpmap  client %8.2f   server %8.2f   (both sides one one-to-many socket)\n",
               rep.idle_many.client_kib, rep.idle_many.server_kib);
  if (rep.idle_ran[index_of(Transport::kTcp)]) {
    const IdleSample& s = rep.idle[index_of(Transport::kTcp)];
    std::fprintf(out, "  raw TCP  client %8.2f   server %8.2f   (%u connections to one listening socket)\n",
                 s.client_kib, s.server_kib, s.count);
  }
  std::fprintf(out, "  (kernel socket buffers are not in RSS; raw TCP is the baseline)\n");
}

void json_many(FILE* out, const RunReport& rep) {
  std::fprintf(out, ",\n  \"many\": {\"size\": %u, \"senders\": %u, \"counts\": [", rep.cfg.many_size,
               rep.cfg.many_senders);
  for (size_t i = 0; i < rep.many.size(); ++i) {
    const ManyResult& m = rep.many[i];
    std::fprintf(out, "%s\n    {\"count\": %u", i ? "," : "", m.count);
    for (Transport t : kBoth) {
      std::fprintf(out, ", \"%s\": [", transport_name(t));
      const auto& runs = m.runs[index_of(t)];
      for (size_t j = 0; j < runs.size(); ++j) std::fprintf(out, "%s%.1f", j ? ", " : "", runs[j].msgs_per_s);
      std::fprintf(out, "], \"%s_failed\": %u", transport_name(t), m.failed[index_of(t)]);
    }
    std::fprintf(out, "}");
  }
  std::fprintf(out, "]");
  if (rep.idle_many_ran)
    std::fprintf(out, ", \"idle\": {\"count\": %u, \"client_kib_per_assoc\": %.3f, \"server_kib_per_assoc\": %.3f}",
                 rep.idle_many.count, rep.idle_many.client_kib, rep.idle_many.server_kib);
  std::fprintf(out, "}");
}

void json_runs(FILE* out, const TransportRuns& runs) {
  std::fprintf(out, "[");
  for (size_t i = 0; i < runs.throughput.size(); ++i) {
    const ThroughputSample& t = runs.throughput[i];
    const LatencySample& l = runs.latency[i];
    std::fprintf(out, "%s{\"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, \"p50_us\": %.2f, \"p99_us\": %.2f, \"samples\": %u}",
                 i ? ", " : "", t.msgs_per_s, t.mb_per_s, l.p50_us, l.p99_us, l.samples);
  }
  std::fprintf(out, "]");
}

void json_transport(FILE* out, const TransportRuns& runs) {
  if (!runs.ran()) {
    std::fprintf(out, "null");
    return;
  }
  const Medians m = medians(runs);
  std::fprintf(out, "{\"msgs_per_s\": %.1f, \"mb_per_s\": %.3f, \"p50_us\": %.2f, \"p99_us\": %.2f, \"runs\": ",
               m.msgs_per_s, m.mb_per_s, m.p50_us, m.p99_us);
  json_runs(out, runs);
  std::fprintf(out, "}");
}

void json_size(FILE* out, const SizeResult& s) {
  const TransportRuns& sr = s.by_transport[index_of(Transport::kSctpmap)];
  const TransportRuns& tr = s.by_transport[index_of(Transport::kTcp)];
  std::fprintf(out, "    {\"size\": %u, \"sctpmap\": ", s.size);
  json_transport(out, sr);
  std::fprintf(out, ", \"tcp\": ");
  json_transport(out, tr);
  if (sr.ran() && tr.ran()) {
    const Medians sm = medians(sr);
    const Medians tm = medians(tr);
    std::fprintf(out, ", \"ratio\": {\"msgs_per_s\": %.4f, \"mb_per_s\": %.4f, \"p50\": %.4f}",
                 sm.msgs_per_s / tm.msgs_per_s, sm.mb_per_s / tm.mb_per_s, sm.p50_us / tm.p50_us);
  } else {
    std::fprintf(out, ", \"ratio\": null");
  }
  std::fprintf(out, "}");
}

}  // namespace

void print_table(FILE* out, const RunReport& rep) {
  if (!rep.many.empty() || rep.idle_many_ran) {
    if (!rep.many.empty()) print_many(out, rep);
    if (rep.idle_many_ran) print_idle_many(out, rep);
    return;
  }
  std::fprintf(out,
               "sctpmap-perf: 127.0.0.1, client and server processes, %.1f s per throughput run, "
               "%u ping-pongs (+%u warm-up), median of %u run(s)\n"
               "msg/s and MB/s at the receiver (payload bytes, MB = 10^6 B); latency is the round trip; "
               "ratio = sctpmap/raw\n\n",
               rep.cfg.duration_s, rep.cfg.pingpong_count, rep.cfg.warmup_count, rep.repeat);
  std::fprintf(out, "%6s | %13s | %13s | %5s | %12s | %10s | %5s | %18s | %18s | %9s\n", "size", "sctpmap msg/s",
               "raw msg/s", "ratio", "sctpmap MB/s", "raw MB/s", "ratio", "sctpmap p50/p99 us", "raw p50/p99 us",
               "ratio p50");
  bool truncated = false;
  for (const SizeResult& s : rep.sizes) print_row(out, s, rep.cfg.pingpong_count, &truncated);
  if (truncated) std::fprintf(out, "note: some ping-pong runs hit the 30 s budget; see \"samples\" in --json\n");
  if (rep.idle_ran[0] || rep.idle_ran[1]) print_idle(out, rep);
}

void print_json(FILE* out, const RunReport& rep) {
  std::fprintf(out,
               "{\n  \"tool\": \"sctpmap-perf\",\n  \"duration_s\": %.3f,\n  \"pingpong_count\": %u,\n"
               "  \"warmup_count\": %u,\n  \"repeat\": %u,\n  \"sizes\": [\n",
               rep.cfg.duration_s, rep.cfg.pingpong_count, rep.cfg.warmup_count, rep.repeat);
  for (size_t i = 0; i < rep.sizes.size(); ++i) {
    json_size(out, rep.sizes[i]);
    std::fprintf(out, "%s\n", i + 1 < rep.sizes.size() ? "," : "");
  }
  std::fprintf(out, "  ],\n  \"idle\": {\"count\": %u", rep.idle_count);
  for (Transport t : kBoth) {
    const IdleSample& s = rep.idle[index_of(t)];
    if (rep.idle_ran[index_of(t)])
      std::fprintf(out, ", \"%s\": {\"client_kib_per_conn\": %.3f, \"server_kib_per_conn\": %.3f}", transport_name(t),
                   s.client_kib, s.server_kib);
    else
      std::fprintf(out, ", \"%s\": null", transport_name(t));
  }
  std::fprintf(out, "}");
  if (!rep.many.empty() || rep.idle_many_ran) json_many(out, rep);
  std::fprintf(out, "\n}\n");
}

}  // namespace sctpmap::perf
