// SPDX-License-Identifier: MIT
// Client halves of the one-to-many mode; see bench.hpp and many.hpp.
//
// Throughput: the client side is N one-to-one sockets (SOCK_STREAM,
// IPPROTO_SCTP), one per association. That is what "N clients of one
// server" looks like in practice (each client its own program and socket),
// it mirrors the baseline's N TCP connections exactly, and it keeps the
// cost under test on the server's one-to-many socket rather than on a
// client-side one that would funnel every send through a single socket.
// A few sender threads (--many-senders) each own every T-th socket and send
// one message on each in turn with blocking sends, so all N associations
// have data in flight at once.
//
// Idle memory: the client side is ONE one-to-many socket holding all N
// associations. An emulated one-to-one socket costs three descriptors (its
// AF_UNIX pair and the TCP socket), so 10,000 of them do not fit under a
// 20,000 hard RLIMIT_NOFILE, while a one-to-many association costs one. SCTP
// allows one association per peer address, so association i goes to
// 127.0.0.(1+i) and on through 127.0.0.0/8 (all of it is loopback on Linux),
// and the server listens on 0.0.0.0.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench.hpp"

namespace sctpmap::perf {
namespace {

constexpr unsigned kSlackS = 30;

// Descriptors one emulated one-to-one socket holds (AF_UNIX pair + TCP).
constexpr uint64_t kFdsPerSctpSocket = 3;

std::string check_nofile(uint64_t need, const char* what) {
  const uint64_t have = raise_nofile(need);
  if (have >= need) return {};
  return "RLIMIT_NOFILE: " + std::to_string(need) + " descriptors needed for " + what + ", the hard limit allows " +
         std::to_string(have) + " (raise it, e.g. ulimit -Hn as root, or use fewer associations)";
}

struct Sender {
  std::vector<std::unique_ptr<MessageWriter>> writers;
  std::vector<uint64_t> seq;
  uint64_t sent = 0;
  std::string error;
};

void send_until(Sender* s, Transport t, int64_t deadline) {
  for (;;) {
    for (size_t i = 0; i < s->writers.size(); ++i) {
      if (now_ns() >= deadline) return;
      if (const int rc = s->writers[i]->send(s->seq[i]); rc < 0) {
        s->error = describe_error(t, "client send", rc);
        return;
      }
      ++s->seq[i];
      ++s->sent;
    }
  }
}

sockaddr_in loopback_n(uint32_t i, uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK + i);  // 127.0.0.1 + i
  return a;
}

}  // namespace

std::string run_many_throughput(ServerChild& srv, const BenchConfig& cfg, Transport t, uint32_t count,
                                ThroughputSample* out) {
  const uint64_t per = t == Transport::kSctpmap ? kFdsPerSctpSocket : 1;
  if (std::string e = check_nofile(per * count + 64, "the client sockets"); !e.empty()) return e;
  const auto timeout = static_cast<unsigned>(cfg.duration_s) + kSlackS + count / 50;
  arm_watchdog(step_name("one-to-many throughput test", t, cfg.many_size) + " with " + std::to_string(count) +
                   " associations",
               timeout);
  const Command c{Op::kManyThroughput, t, cfg.many_size, count, timeout};
  uint16_t port = 0;
  if (std::string e = start_step(srv, c, &port); !e.empty()) return e;
  const uint32_t threads = std::min(count, cfg.many_senders);
  std::vector<Sender> senders(threads);
  std::vector<int> fds;
  std::string err;
  for (uint32_t i = 0; i < count && err.empty(); ++i) {
    const int fd = open_client(t, port);
    if (fd < 0) {
      err = describe_error(t, "connect", fd) + " after " + std::to_string(i) + " connections";
      break;
    }
    fds.push_back(fd);
    Sender& s = senders[i % threads];
    s.writers.push_back(std::make_unique<MessageWriter>(t, fd, cfg.many_size));
    s.seq.push_back(0);
  }
  uint64_t sent = 0;
  if (err.empty()) {
    const int64_t deadline = now_ns() + static_cast<int64_t>(cfg.duration_s * 1e9);
    std::vector<std::thread> running;
    for (Sender& s : senders) running.emplace_back(send_until, &s, t, deadline);
    for (std::thread& th : running) th.join();
    for (const Sender& s : senders) {
      sent += s.sent;
      if (err.empty()) err = s.error;
    }
  }
  // Graceful for both: queued data goes before the SHUTDOWN or FIN, and
  // the server counts until every association has ended.
  for (int fd : fds) ::close(fd);
  return finish_throughput(srv, t, err, sent, cfg.many_size, out);
}

std::string run_idle_many(ServerChild& srv, uint32_t count, IdleSample* out) {
  if (std::string e = check_nofile(uint64_t{count} + 64, "the idle associations"); !e.empty()) return e;
  if (count >= (1u << 24) - 2) return "too many associations for 127.0.0.0/8";
  const unsigned timeout = 2 * kSlackS + count / 50;
  arm_watchdog(step_name("one-to-many idle-memory test", Transport::kSctpmap, 0), timeout);
  const Command c{Op::kManyIdleOpen, Transport::kSctpmap, 0, count, timeout};
  uint16_t port = 0;
  if (std::string e = start_step(srv, c, &port); !e.empty()) return e;
  const int fd = ::socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
  if (fd < 0) return describe_error(Transport::kSctpmap, "client one-to-many socket", -errno);
  std::string err;
  Reply r{};
  int64_t before = 0;
  // Association 0 is the warm-up: the library's first-use set-up goes into
  // the baseline on both sides, as in run_idle.
  for (uint32_t i = 0; i <= count && err.empty(); ++i) {
    const sockaddr_in a = loopback_n(i, port);
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0) {
      err = describe_error(Transport::kSctpmap, "connect", -errno) + " after " + std::to_string(i) + " associations";
      break;
    }
    if (i == 0) {
      err = finish_step(srv, "", &r);
      sleep_ms(200);
      before = rss_bytes();
    }
  }
  Reply done{};
  if (err.empty()) err = finish_step(srv, "", &done);
  sleep_ms(300);
  const int64_t after = rss_bytes();
  ::close(fd);
  if (!err.empty()) return err;
  return finish_idle(srv, Transport::kSctpmap, timeout, after - before, done, out);
}

}  // namespace sctpmap::perf
