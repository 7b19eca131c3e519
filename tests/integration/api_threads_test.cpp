// SPDX-License-Identifier: MIT
// Several threads on one socket: four threads send at once on one socket
// (one-to-one, then one-to-many), one thread receives on the peer's socket.
// Every message says who sent it (the PPID carries the thread and its
// sequence number) and its bytes are a function of both, with a checksum in
// a header when it is long enough to hold one, so the receiver checks that
// nothing is lost or duplicated, that each thread's messages on one stream
// arrive in the order that thread sent them (ordered delivery, RFC 9260
// 6.6), and that every message arrives whole, unmixed with another thread's.
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <map>
#include <sstream>
#include <thread>
#include <vector>

#include "api_util.hpp"

namespace sctpmap::test {
namespace {

constexpr int kThreads = 4;
constexpr uint32_t kPerThread = 2000;
constexpr size_t kMaxMessage = 65519;
constexpr auto kDeadline = std::chrono::seconds(90);

// Streams used by thread t: t and t + kThreads, alternately (default 10
// outbound streams, as Linux).
uint16_t stream_of(uint32_t thread, uint32_t seq) { return uint16_t(thread + (seq % 2) * kThreads); }
uint32_t ppid_of(uint32_t thread, uint32_t seq) { return (thread << 16) | seq; }

// Deterministic sizes over 1..65519: mostly small, some large, the extremes
// included.
size_t size_of(uint32_t thread, uint32_t seq) {
  if (seq == 0) return 1;
  if (seq == 1) return kMaxMessage;
  uint32_t r = (thread * 2654435761u) ^ (seq * 40503u + 0x9e3779b9u);
  r ^= r >> 13;
  r *= 0x5bd1e995u;
  r ^= r >> 15;
  if (r % 20 == 0) return kMaxMessage - r % 45000;  // 5 %: 20,520..65,519
  if (r % 4 == 0) return 2000 + r % 18000;          // ~24 %: 2,000..19,999
  return 1 + r % 2000;                               // the rest: 1..2,000
}

uint32_t fnv1a(const uint8_t* p, size_t n) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 16777619u;
  return h;
}

// The message thread `thread` sends as its seq-th: a 16-byte header
// {thread, seq, length, checksum of the rest} when it fits, then bytes
// that depend on thread and seq.
std::vector<uint8_t> message_of(uint32_t thread, uint32_t seq) {
  const size_t n = size_of(thread, seq);
  std::vector<uint8_t> m(n);
  for (size_t i = 0; i < n; ++i) m[i] = uint8_t((thread + 1) * 31 + seq * 7 + i * 13 + (i >> 8));
  if (n >= 16) {
    const uint32_t h[4] = {thread, seq, uint32_t(n), fnv1a(m.data() + 16, n - 16)};
    std::memcpy(m.data(), h, sizeof h);
  }
  return m;
}

struct Tally {
  std::map<std::pair<uint32_t, uint16_t>, int64_t> last_seq;  // (thread, stream)
  std::vector<std::vector<bool>> seen = std::vector<std::vector<bool>>(kThreads, std::vector<bool>(kPerThread));
  uint32_t received = 0;
  std::vector<std::string> errors;
  void error(const std::string& e) {
    if (errors.size() < 20) errors.push_back(e);
  }
};

// Checks one received message against what its sender must have sent.
void check(Tally& t, const Received& r) {
  std::ostringstream where;
  where << "message #" << t.received << " ppid=" << r.sinfo.sinfo_ppid << " stream=" << r.sinfo.sinfo_stream
        << " len=" << r.n;
  if (!r.has_sinfo) return t.error(where.str() + ": no SCTP_SNDRCV");
  if (!(r.flags & MSG_EOR)) return t.error(where.str() + ": no MSG_EOR (message split)");
  const uint32_t thread = r.sinfo.sinfo_ppid >> 16, seq = r.sinfo.sinfo_ppid & 0xffff;
  if (thread >= kThreads || seq >= kPerThread) return t.error(where.str() + ": unknown sender");
  if (r.sinfo.sinfo_stream != stream_of(thread, seq)) t.error(where.str() + ": wrong stream");
  if (t.seen[thread][seq]) t.error(where.str() + ": duplicate");
  t.seen[thread][seq] = true;
  auto& last = t.last_seq.try_emplace({thread, r.sinfo.sinfo_stream}, -1).first->second;
  if (int64_t(seq) <= last) t.error(where.str() + ": out of order after seq " + std::to_string(last));
  last = seq;
  const auto want = message_of(thread, seq);
  if (r.data != want) {
    size_t i = 0;
    while (i < std::min(r.data.size(), want.size()) && r.data[i] == want[i]) ++i;
    t.error(where.str() + ": content differs from byte " + std::to_string(i) + " (want len " +
            std::to_string(want.size()) + ")");
  } else if (want.size() >= 16 && fnv1a(r.data.data() + 16, r.data.size() - 16) !=
                                      *reinterpret_cast<const uint32_t*>(r.data.data() + 12)) {
    t.error(where.str() + ": checksum");
  }
}

using SendFn = int (*)(int fd, const std::vector<uint8_t>& m, uint16_t stream, uint32_t ppid, sctp_assoc_t id);

int send_one_to_one(int fd, const std::vector<uint8_t>& m, uint16_t stream, uint32_t ppid, sctp_assoc_t) {
  return sctp_sendmsg(fd, m.data(), m.size(), nullptr, 0, ppid, 0, stream, 0, 0);
}

int send_by_id(int fd, const std::vector<uint8_t>& m, uint16_t stream, uint32_t ppid, sctp_assoc_t id) {
  sctp_sndrcvinfo s{};
  s.sinfo_stream = stream;
  s.sinfo_ppid = ppid;
  s.sinfo_assoc_id = id;
  return sctp_send(fd, m.data(), m.size(), &s, 0);
}

// Four senders on `tx`, one receiver on `rx`; every wait is bounded by
// kDeadline (the senders give up when the receiver has).
void run_threads(int tx, int rx, SendFn send_fn, sctp_assoc_t id) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  std::atomic<bool> stop{false};
  std::vector<std::string> send_errors(kThreads);
  std::vector<std::thread> senders;
  for (uint32_t t = 0; t < kThreads; ++t) {
    senders.emplace_back([&, t] {
      for (uint32_t seq = 0; seq < kPerThread && !stop; ++seq) {
        const auto m = message_of(t, seq);
        const int n = send_fn(tx, m, stream_of(t, seq), htonl(ppid_of(t, seq)), id);
        if (n != int(m.size())) {
          send_errors[t] = "thread " + std::to_string(t) + " seq " + std::to_string(seq) + ": send gave " +
                           std::to_string(n) + " (" + std::strerror(errno) + ")";
          return;
        }
      }
    });
  }
  Tally tally;
  while (tally.received < kThreads * kPerThread && std::chrono::steady_clock::now() < deadline) {
    Received r = receive(rx, kMaxMessage + 1, 200);
    if (r.n == -2) continue;
    if (r.n <= 0 || r.notification()) {
      tally.error("recv gave " + std::to_string(r.n) + (r.n < 0 ? std::string(" ") + std::strerror(r.err) : "") +
                  (r.notification() ? " (notification)" : ""));
      if (r.n <= 0) break;
      continue;
    }
    r.sinfo.sinfo_ppid = ntohl(r.sinfo.sinfo_ppid);
    check(tally, r);
    ++tally.received;
  }
  stop = true;
  for (auto& s : senders) s.join();
  for (const auto& e : send_errors) EXPECT_TRUE(e.empty()) << e;
  EXPECT_EQ(tally.received, kThreads * kPerThread) << "messages received before the deadline";
  for (uint32_t t = 0; t < kThreads; ++t)
    for (uint32_t seq = 0; seq < kPerThread; ++seq)
      if (!tally.seen[t][seq]) {
        ADD_FAILURE() << "lost: thread " << t << " seq " << seq << " (first loss of this thread)";
        break;
      }
  for (const auto& e : tally.errors) ADD_FAILURE() << e;
  EXPECT_FALSE(readable_within(rx, 100)) << "more data after the last message";
}

API_TEST(ThreadsShareOneToOneSocket, 150) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  run_threads(a.client, a.server, send_one_to_one, 0);
}

API_TEST(ThreadsShareOneToManySocket, 150) {
  const int server = many_socket();
  subscribe(server, Events{});
  const uint16_t port = listen_any(server);
  const int client = many_socket();
  sockaddr_in to = loopback(port);
  sctp_assoc_t id = 0;
  ASSERT_EQ(sctp_connectx(client, reinterpret_cast<sockaddr*>(&to), 1, &id), 0) << std::strerror(errno);
  run_threads(client, server, send_by_id, id);
  close(client);
  close(server);
}

}  // namespace
}  // namespace sctpmap::test
