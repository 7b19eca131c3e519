// SPDX-License-Identifier: MIT
// sctp_peer: an ordinary SCTP application (one-to-one SOCK_STREAM sockets,
// <netinet/sctp.h>, the real libsctp.so.1) that the integration and fault
// suites run under LD_PRELOAD=libsctpmap.so. It knows nothing of sctpmap; it
// is what any SCTP program does, made configurable and verbose so a driver can
// read what happened from its stdout, one line per fact:
//   server: PORT p | ACCEPT i peer=a:p | EVENT ... assoc=i | PROGRESS assoc=i received=n
//           | READY received=n | ASSOC i END received=n bytes=b end=EOF|ERRNO result=OK|FAIL:why
//           | SERVER DONE ok=n fail=n
//   client: CONNECTED conns=k | PHASE1 sent=n unack=u | SEND_STOP conn=c seq=s errno=EAGAIN
//           | SEND_ERROR conn=c seq=s errno=E | SENT n=n total=t bytes=b | EVENT ... conn=c
//           | EOF conn=c | RECV_ERROR conn=c errno=E | WAIT_TIMEOUT open=n | CLIENT DONE ...
// Exit 0: everything verified; 1: a check failed; 2: bad usage or setup.
#include <arpa/inet.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "peer_events.hpp"
#include "peer_payload.hpp"
#include "peer_verify.hpp"

namespace {

using sctpmap::test::Schedule;
using sctpmap::test::Verifier;
using Clock = std::chrono::steady_clock;

struct Options {
  bool server = false;
  std::string host = "127.0.0.1";
  int port = 0;
  bool print_port = false;
  unsigned long long count = 0;
  int ostreams = 0, max_in = 0;
  bool events = false, send_failed_event = false;
  int hb_interval = 0, path_max_rxt = 0, assoc_max_rxt = 0, rto_initial = 0, rto_min = 0, rto_max = 0;
  int read_delay_ms = 0, slow_for_ms = 0;
  unsigned long long pause_after = 0, progress_every = 0, phase1 = 0;
  int assocs = 1, conns = 1;
  bool nonblock = false, stop_on_stdin = false;
  int send_delay_us = 0;
  std::string end = "shutdown";
  int wait_ms = 10000;
};

Options opt;
Schedule schedule;
constexpr size_t kBufSize = 128 * 1024;  // a whole message plus any notification header

void say(const char* fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  std::vprintf(fmt, ap);
  va_end(ap);
  std::putchar('\n');
  std::fflush(stdout);  // the driver reads lines as they happen
}

[[noreturn]] void die(const char* what) {
  say("FAIL %s errno=%s", what, strerrorname_np(errno) ? strerrorname_np(errno) : "0");
  std::exit(2);
}

const char* errname(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : "E?";
}

void set_option(int fd, int name, const void* value, socklen_t len, const char* what) {
  if (setsockopt(fd, SOL_SCTP, name, value, len) != 0) die(what);
}

// Options set before connect/listen; Linux copies them to accepted sockets.
void configure(int fd) {
  sctp_event_subscribe ev{};
  ev.sctp_data_io_event = 1;  // sctp_recvmsg's sinfo comes from SCTP_SNDRCV
  if (opt.events) {
    ev.sctp_association_event = 1;
    ev.sctp_address_event = 1;
    ev.sctp_send_failure_event = opt.send_failed_event ? 0 : 1;
    ev.sctp_peer_error_event = 1;
    ev.sctp_shutdown_event = 1;
    ev.sctp_partial_delivery_event = 1;
    ev.sctp_adaptation_layer_event = 1;
  }
  set_option(fd, SCTP_EVENTS, &ev, sizeof ev, "setsockopt SCTP_EVENTS");
  if (opt.events && opt.send_failed_event) {
    sctp_event se{};
    se.se_type = SCTP_SEND_FAILED_EVENT;
    se.se_on = 1;
    set_option(fd, SCTP_EVENT, &se, sizeof se, "setsockopt SCTP_EVENT");
  }
  sctp_initmsg init{};
  init.sinit_num_ostreams = uint16_t(opt.ostreams ? opt.ostreams : schedule.streams > 10 ? schedule.streams : 0);
  init.sinit_max_instreams = uint16_t(opt.max_in ? opt.max_in : schedule.streams > 10 ? schedule.streams : 0);
  if (init.sinit_num_ostreams || init.sinit_max_instreams)
    set_option(fd, SCTP_INITMSG, &init, sizeof init, "setsockopt SCTP_INITMSG");
  if (opt.rto_initial || opt.rto_min || opt.rto_max) {
    sctp_rtoinfo rto{};
    rto.srto_initial = uint32_t(opt.rto_initial);
    rto.srto_min = uint32_t(opt.rto_min);
    rto.srto_max = uint32_t(opt.rto_max);
    set_option(fd, SCTP_RTOINFO, &rto, sizeof rto, "setsockopt SCTP_RTOINFO");
  }
  if (opt.hb_interval || opt.path_max_rxt) {
    sctp_paddrparams pp{};
    pp.spp_hbinterval = uint32_t(opt.hb_interval);
    pp.spp_pathmaxrxt = uint16_t(opt.path_max_rxt);
    pp.spp_flags = opt.hb_interval ? SPP_HB_ENABLE : 0;
    set_option(fd, SCTP_PEER_ADDR_PARAMS, &pp, sizeof pp, "setsockopt SCTP_PEER_ADDR_PARAMS");
  }
  if (opt.assoc_max_rxt) {
    sctp_assocparams ap{};
    ap.sasoc_asocmaxrxt = uint16_t(opt.assoc_max_rxt);
    set_option(fd, SCTP_ASSOCINFO, &ap, sizeof ap, "setsockopt SCTP_ASSOCINFO");
  }
}

int sctp_socket() {
  const int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
  if (fd < 0) die("socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP)");
  configure(fd);
  return fd;
}

sockaddr_in address(int port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(uint16_t(port));
  if (inet_pton(AF_INET, opt.host.c_str(), &sa.sin_addr) != 1) die("bad --host");
  return sa;
}

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// ---------------------------------------------------------------- server

struct Assoc {
  int fd;
  int idx;
  Verifier verifier;
  bool open = true;
};

struct Server {
  std::vector<std::unique_ptr<Assoc>> assocs;
  int accepted = 0, ended = 0, failed = 0;
  unsigned long long total = 0;
  bool slow_started = false;
  Clock::time_point slow_start;
  std::vector<uint8_t> buf = std::vector<uint8_t>(kBufSize);

  void end(Assoc& a, const char* how, bool graceful) {
    // With a known count every message must have come, however it ended.
    a.verifier.finish(graceful || opt.count != 0);
    const bool ok = a.verifier.error().empty();
    failed += ok ? 0 : 1;
    say("ASSOC %d END received=%llu bytes=%llu end=%s result=%s%s", a.idx, a.verifier.received(),
        a.verifier.bytes(), how, ok ? "OK" : "FAIL:", a.verifier.error().c_str());
    close(a.fd);
    a.open = false;
    ++ended;
  }

  void on_data(Assoc& a, size_t n, const sctp_sndrcvinfo& sinfo, int flags) {
    a.verifier.on_message(buf.data(), n, sinfo, flags);
    ++total;
    if (opt.progress_every && a.verifier.received() % opt.progress_every == 0)
      say("PROGRESS assoc=%d received=%llu", a.idx, a.verifier.received());
    if (opt.pause_after && total == opt.pause_after) {
      // Stop reading for good: the fault suite then freezes or kills us.
      say("READY received=%llu", total);
      for (;;) pause();
    }
    if (opt.read_delay_ms) {
      if (!slow_started) slow_started = true, slow_start = Clock::now();
      if (opt.slow_for_ms == 0 || ms_since(slow_start) < opt.slow_for_ms)
        usleep(useconds_t(opt.read_delay_ms) * 1000);
    }
  }

  void serve(Assoc& a) {
    sctp_sndrcvinfo sinfo;
    std::memset(&sinfo, 0xff, sizeof sinfo);
    int flags = 0;  // sctp_recvmsg passes *msg_flags to recvmsg as its flags
    const int n = sctp_recvmsg(a.fd, buf.data(), buf.size(), nullptr, nullptr, &sinfo, &flags);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      return end(a, errname(errno), false);
    }
    if (n == 0) return end(a, "EOF", true);
    if (flags & MSG_NOTIFICATION) {
      if (opt.events)
        say("%s assoc=%d", sctpmap::test::describe_notification(buf.data(), size_t(n), schedule).c_str(),
            a.idx);
      return;
    }
    on_data(a, size_t(n), sinfo, flags);
  }

  void accept_one(int lfd) {
    sockaddr_in peer{};
    socklen_t len = sizeof peer;
    const int fd = accept(lfd, reinterpret_cast<sockaddr*>(&peer), &len);
    if (fd < 0) {
      say("ACCEPT_ERROR errno=%s", errname(errno));
      return;
    }
    char ip[INET_ADDRSTRLEN] = "?";
    inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof ip);
    assocs.push_back(std::make_unique<Assoc>(Assoc{fd, accepted, Verifier(schedule, opt.count)}));
    say("ACCEPT %d peer=%s:%u", accepted, ip, unsigned(ntohs(peer.sin_port)));
    ++accepted;
  }

  int run() {
    const int lfd = sctp_socket();
    sockaddr_in sa = address(opt.port);
    if (bind(lfd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("bind");
    if (listen(lfd, 128) != 0) die("listen");
    socklen_t len = sizeof sa;
    if (getsockname(lfd, reinterpret_cast<sockaddr*>(&sa), &len) != 0) die("getsockname");
    if (opt.print_port) say("PORT %u", unsigned(ntohs(sa.sin_port)));
    while (opt.assocs == 0 || ended < opt.assocs) {
      std::vector<pollfd> fds;
      std::vector<Assoc*> who;
      if (opt.assocs == 0 || accepted < opt.assocs) fds.push_back({lfd, POLLIN, 0}), who.push_back(nullptr);
      for (auto& a : assocs)
        if (a->open) fds.push_back({a->fd, POLLIN, 0}), who.push_back(a.get());
      if (poll(fds.data(), fds.size(), 1000) < 0 && errno != EINTR) die("poll");
      for (size_t i = 0; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        if (who[i]) serve(*who[i]);
        else accept_one(lfd);
      }
    }
    say("SERVER DONE ok=%d fail=%d", ended - failed, failed);
    close(lfd);
    return failed ? 1 : 0;
  }
};

// ---------------------------------------------------------------- client

struct Conn {
  int fd;
  bool open = true;
  bool send_done = false;
  unsigned long long sent = 0;
};

struct Client {
  std::vector<Conn> conns;
  std::vector<uint8_t> buf = std::vector<uint8_t>(kBufSize);
  unsigned long long bytes = 0;
  int errors = 0;

  static bool stdin_ready() {
    pollfd p{0, POLLIN, 0};
    return poll(&p, 1, 0) > 0;  // a line or EOF (POLLHUP) both mean stop
  }

  void send_one(size_t c, unsigned long long seq) {
    Conn& conn = conns[c];
    const uint32_t len = schedule.size_of(seq);
    schedule.build(seq, buf.data());
    const int r = sctp_sendmsg(conn.fd, buf.data(), len, nullptr, 0, schedule.ppid_of(seq),
                               schedule.unordered(seq) ? SCTP_UNORDERED : 0, schedule.stream_of(seq), 0, 0);
    if (r == int(len)) {
      ++conn.sent;
      bytes += len;
      return;
    }
    conn.send_done = true;
    if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) && opt.nonblock) {
      say("SEND_STOP conn=%zu seq=%llu errno=EAGAIN", c, seq);
      return;
    }
    ++errors;
    say("SEND_ERROR conn=%zu seq=%llu len=%u ret=%d errno=%s", c, seq, len, r, r < 0 ? errname(errno) : "0");
  }

  void send_range(unsigned long long from, unsigned long long to) {
    for (unsigned long long seq = from; seq < to; ++seq) {
      if (opt.stop_on_stdin && stdin_ready()) return;
      bool any = false;
      for (size_t c = 0; c < conns.size(); ++c) {
        if (conns[c].send_done) continue;
        send_one(c, seq);
        any = true;
      }
      if (!any) return;
      if (opt.send_delay_us) usleep(useconds_t(opt.send_delay_us));
    }
  }

  // Un-ACKed messages summed over the connections (SCTP_STATUS), waiting up
  // to 3 s for zero; -1 when the option is not available.
  int wait_acked() {
    const auto start = Clock::now();
    int unack = 0;
    do {
      unack = 0;
      for (Conn& c : conns) {
        sctp_status st{};
        socklen_t len = sizeof st;
        if (getsockopt(c.fd, SOL_SCTP, SCTP_STATUS, &st, &len) != 0) {
          usleep(300 * 1000);  // no way to know: give the ACKs time instead
          return -1;
        }
        unack += st.sstat_unackdata;
      }
      if (unack == 0) return 0;
      usleep(10 * 1000);
    } while (ms_since(start) < 3000);
    return unack;
  }

  void finish_conn(size_t c) {
    Conn& conn = conns[c];
    if (opt.end == "shutdown") {
      if (shutdown(conn.fd, SHUT_WR) != 0) say("END_ERROR conn=%zu shutdown errno=%s", c, errname(errno));
    } else if (opt.end == "close" || opt.end == "abort") {
      if (opt.end == "abort") {
        linger lg{1, 0};  // SCTP: close() sends ABORT
        if (setsockopt(conn.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg) != 0) die("SO_LINGER");
      }
      if (close(conn.fd) != 0) say("END_ERROR conn=%zu close errno=%s", c, errname(errno));
      conn.open = false;
    }
  }

  // Reads every connection until it ends (EOF or error), printing events.
  int drain() {
    const auto start = Clock::now();
    for (;;) {
      std::vector<pollfd> fds;
      std::vector<size_t> who;
      for (size_t c = 0; c < conns.size(); ++c)
        if (conns[c].open) fds.push_back({conns[c].fd, POLLIN, 0}), who.push_back(c);
      if (fds.empty()) return 0;
      const long long left = opt.wait_ms - ms_since(start);
      if (left <= 0) {
        say("WAIT_TIMEOUT open=%zu", fds.size());
        return 1;
      }
      if (poll(fds.data(), fds.size(), int(left)) < 0 && errno != EINTR) die("poll");
      for (size_t i = 0; i < fds.size(); ++i) {
        if (fds[i].revents) read_one(who[i]);
      }
    }
  }

  void read_one(size_t c) {
    Conn& conn = conns[c];
    int flags = 0;
    const int n = sctp_recvmsg(conn.fd, buf.data(), buf.size(), nullptr, nullptr, nullptr, &flags);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n > 0 && (flags & MSG_NOTIFICATION)) {
      if (opt.events)
        say("%s conn=%zu", sctpmap::test::describe_notification(buf.data(), size_t(n), schedule).c_str(), c);
      return;
    }
    if (n > 0) return say("DATA conn=%zu len=%d", c, n);
    if (n == 0) say("EOF conn=%zu", c);
    else say("RECV_ERROR conn=%zu errno=%s", c, errname(errno));
    close(conn.fd);
    conn.open = false;
  }

  int run() {
    for (int i = 0; i < opt.conns; ++i) {
      Conn c{sctp_socket()};
      sockaddr_in sa = address(opt.port);
      if (connect(c.fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0) die("connect");
      conns.push_back(c);
    }
    say("CONNECTED conns=%d", opt.conns);
    const unsigned long long last = opt.count ? opt.count : opt.stop_on_stdin ? ~0ull : 0;
    unsigned long long first = 0;
    if (opt.phase1) {
      send_range(0, opt.phase1);
      say("PHASE1 sent=%llu unack=%d", conns[0].sent, wait_acked());
      char ch;
      while (read(0, &ch, 1) == 1 && ch != '\n') {
      }
      first = opt.phase1;
    }
    if (opt.nonblock) {
      for (Conn& c : conns) fcntl(c.fd, F_SETFL, fcntl(c.fd, F_GETFL) | O_NONBLOCK);
    }
    send_range(first, last);
    unsigned long long total = 0;
    for (Conn& c : conns) total += c.sent;
    say("SENT n=%llu total=%llu bytes=%llu", conns[0].sent, total, bytes);
    for (size_t c = 0; c < conns.size(); ++c) finish_conn(c);
    const int timed_out = drain();
    say("CLIENT DONE sent=%llu errors=%d", total, errors);
    return errors || timed_out ? 1 : 0;
  }
};

// ---------------------------------------------------------------- options

void parse_sizes(const char* s) {
  unsigned lo = 0, hi = 0;
  if (std::sscanf(s, "%u-%u", &lo, &hi) != 2 || lo < 1 || hi < lo) {
    say("FAIL --sizes wants LO-HI");
    std::exit(2);
  }
  schedule.size_lo = lo;
  schedule.size_hi = hi;
}

void parse(int argc, char** argv) {
  if (argc < 2 || (std::strcmp(argv[1], "server") != 0 && std::strcmp(argv[1], "client") != 0)) {
    std::fprintf(stderr, "usage: %s server|client [--options]\n", argv[0]);
    std::exit(2);
  }
  opt.server = std::strcmp(argv[1], "server") == 0;
  static const option kLong[] = {
      {"host", 1, nullptr, 'h'},          {"port", 1, nullptr, 'p'},
      {"print-port", 0, nullptr, 'P'},    {"count", 1, nullptr, 'n'},
      {"streams", 1, nullptr, 's'},       {"ostreams", 1, nullptr, 'o'},
      {"max-in", 1, nullptr, 'i'},        {"sizes", 1, nullptr, 'z'},
      {"unordered-every", 1, nullptr, 'u'}, {"events", 0, nullptr, 'e'},
      {"send-failed-event", 0, nullptr, 'E'}, {"hb-interval", 1, nullptr, 1},
      {"path-max-rxt", 1, nullptr, 2},    {"rto-initial", 1, nullptr, 3},
      {"rto-min", 1, nullptr, 4},         {"rto-max", 1, nullptr, 5},
      {"read-delay-ms", 1, nullptr, 6},   {"slow-for-ms", 1, nullptr, 7},
      {"pause-after", 1, nullptr, 8},     {"assocs", 1, nullptr, 9},
      {"progress-every", 1, nullptr, 10}, {"conns", 1, nullptr, 11},
      {"nonblock", 0, nullptr, 12},       {"phase1", 1, nullptr, 13},
      {"stop-on-stdin", 0, nullptr, 14},  {"send-delay-us", 1, nullptr, 15},
      {"end", 1, nullptr, 16},            {"wait-ms", 1, nullptr, 17},
      {"assoc-max-rxt", 1, nullptr, 18},  {nullptr, 0, nullptr, 0}};
  optind = 2;
  int c;
  while ((c = getopt_long(argc, argv, "", kLong, nullptr)) != -1) {
    const char* a = optarg;
    switch (c) {
      case 'h': opt.host = a; break;
      case 'p': opt.port = std::atoi(a); break;
      case 'P': opt.print_port = true; break;
      case 'n': opt.count = std::strtoull(a, nullptr, 10); break;
      case 's': schedule.streams = uint32_t(std::max(1, std::atoi(a))); break;
      case 'o': opt.ostreams = std::atoi(a); break;
      case 'i': opt.max_in = std::atoi(a); break;
      case 'z': parse_sizes(a); break;
      case 'u': schedule.unordered_every = uint32_t(std::atoi(a)); break;
      case 'e': opt.events = true; break;
      case 'E': opt.send_failed_event = opt.events = true; break;
      case 1: opt.hb_interval = std::atoi(a); break;
      case 2: opt.path_max_rxt = std::atoi(a); break;
      case 18: opt.assoc_max_rxt = std::atoi(a); break;
      case 3: opt.rto_initial = std::atoi(a); break;
      case 4: opt.rto_min = std::atoi(a); break;
      case 5: opt.rto_max = std::atoi(a); break;
      case 6: opt.read_delay_ms = std::atoi(a); break;
      case 7: opt.slow_for_ms = std::atoi(a); break;
      case 8: opt.pause_after = std::strtoull(a, nullptr, 10); break;
      case 9: opt.assocs = std::atoi(a); break;
      case 10: opt.progress_every = std::strtoull(a, nullptr, 10); break;
      case 11: opt.conns = std::max(1, std::atoi(a)); break;
      case 12: opt.nonblock = true; break;
      case 13: opt.phase1 = std::strtoull(a, nullptr, 10); break;
      case 14: opt.stop_on_stdin = true; break;
      case 15: opt.send_delay_us = std::atoi(a); break;
      case 16: opt.end = a; break;
      case 17: opt.wait_ms = std::atoi(a); break;
      default: std::exit(2);
    }
  }
  if (schedule.unordered_every && schedule.size_hi < sctpmap::test::kHeaderSize) {
    say("FAIL unordered messages need --sizes up to at least %u", sctpmap::test::kHeaderSize);
    std::exit(2);
  }
}

}  // namespace

int main(int argc, char** argv) {
  signal(SIGPIPE, SIG_IGN);  // a send on a dead association must be an errno, not a death
  parse(argc, argv);
  return opt.server ? Server().run() : Client().run();
}
