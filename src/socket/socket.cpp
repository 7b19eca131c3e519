// SPDX-License-Identifier: MIT
// Socket: creation, connection management and the engine-facing state setters.
// Data calls are in socket_io.cpp, options in socket_options.cpp.
#include "socket/socket.hpp"

#include <fcntl.h>
#include <pthread.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/log.hpp"
#include "common/sys.hpp"
#include "engine/reactor.hpp"
#include "socket/conn.hpp"
#include "socket/engine_fds.hpp"
#include "socket/addr.hpp"
#include "socket/hub.hpp"
#include "socket/listener.hpp"

namespace sctpmap::socket {
namespace {

std::atomic<int32_t> g_next_assoc_id{SCTP_ALL_ASSOC + 1};  // Linux hands out ids above the reserved ones
std::atomic<unsigned> g_fork_generation{0};

void bump_fork_generation() { g_fork_generation.fetch_add(1); }

// SCTPMAP_STRICT=1: send nothing outside the draft (no CAPABILITY, so no
// extension is negotiated: plain draft peers' limits, 65519-byte messages).
bool strict_from_env() {
  static const bool strict = [] {
    const char* v = std::getenv("SCTPMAP_STRICT");
    return v && std::strcmp(v, "1") == 0;
  }();
  return strict;
}

}  // namespace

// Big pair buffers so a burst of small messages does not stall on the pair.
void size_pair(int fd) {
  int big = 4 * 1024 * 1024;
  sys::setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &big, sizeof big);
  sys::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof big);
}

socklen_t addr_len(int family) { return family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in); }

int check_addr(int domain, const sockaddr* addr, socklen_t len) {
  if (!addr || len < static_cast<socklen_t>(sizeof(sa_family_t))) return -EINVAL;
  if (addr->sa_family == AF_INET) return len < sizeof(sockaddr_in) ? -EINVAL : 0;
  if (addr->sa_family == AF_INET6) {
    if (domain != AF_INET6) return -EINVAL;
    return len < sizeof(sockaddr_in6) ? -EINVAL : 0;
  }
  return -EINVAL;  // Linux: no address family ops for it (sctp_sockaddr_af, sctp_get_af_specific)
}

// An AF_INET6 TCP socket cannot take an AF_INET address: map it (::ffff:a.b.c.d).
sockaddr_storage to_domain(int domain, const sockaddr* addr) {
  sockaddr_storage out{};
  if (domain == AF_INET6 && addr->sa_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(addr);
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&out);
    in6->sin6_family = AF_INET6;
    in6->sin6_port = in->sin_port;
    in6->sin6_addr.s6_addr[10] = 0xff;
    in6->sin6_addr.s6_addr[11] = 0xff;
    std::memcpy(&in6->sin6_addr.s6_addr[12], &in->sin_addr, 4);
    return out;
  }
  std::memcpy(&out, addr, addr_len(addr->sa_family));
  return out;
}

bool same_addr(const sockaddr_storage& a, const sockaddr_storage& b) {
  if (a.ss_family != b.ss_family) return false;
  if (a.ss_family == AF_INET) {
    auto* x = reinterpret_cast<const sockaddr_in*>(&a);
    auto* y = reinterpret_cast<const sockaddr_in*>(&b);
    return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
  }
  if (a.ss_family == AF_INET6) {
    auto* x = reinterpret_cast<const sockaddr_in6*>(&a);
    auto* y = reinterpret_cast<const sockaddr_in6*>(&b);
    return x->sin6_port == y->sin6_port && std::memcmp(&x->sin6_addr, &y->sin6_addr, sizeof x->sin6_addr) == 0;
  }
  return false;
}

int32_t next_assoc_id() { return g_next_assoc_id.fetch_add(1); }
unsigned fork_generation() { return g_fork_generation.load(std::memory_order_relaxed); }

Socket::Socket(int d, int t, int efd, int32_t id, std::shared_ptr<AckDoorbell> db)
    : domain(d),
      type(t),
      engine_fd(efd),
      assoc_id(id ? id : next_assoc_id()),
      doorbell(db ? std::move(db) : std::make_shared<AckDoorbell>()),
      fork_generation(socket::fork_generation()) {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, &bump_fork_generation);
    return true;
  }();
  (void)registered;
}

Socket::~Socket() = default;

int Socket::create(int domain, int type, int type_flags, std::shared_ptr<Socket>* out) {
  if (domain != AF_INET && domain != AF_INET6) return -EAFNOSUPPORT;
  if (type != SOCK_STREAM && type != SOCK_SEQPACKET) return -ESOCKTNOSUPPORT;
  int sv[2];
  int cloexec = (type_flags & SOCK_CLOEXEC) ? SOCK_CLOEXEC : 0;
  if (sys::socketpair(AF_UNIX, SOCK_SEQPACKET | cloexec, 0, sv) < 0) return -errno;
  // The engine's end must never leak into exec()ed programs.
  sys::fcntl(sv[1], F_SETFD, FD_CLOEXEC);
  own_fd(sv[1]);
  if (type_flags & SOCK_NONBLOCK) sys::fcntl(sv[0], F_SETFL, O_NONBLOCK | O_RDWR);
  size_pair(sv[0]);
  size_pair(sv[1]);
  out->reset(new Socket(domain, type, sv[1]));
  // Linux enforces the doubled SO_SNDBUF (the value getsockopt reports) on
  // queued-but-unacknowledged SCTP data; so do we.
  (*out)->opts.assoc.sndbuf = static_cast<size_t>((*out)->opts.sndbuf);
  (*out)->opts.assoc.strict_draft = strict_from_env();
  return sv[0];
}

std::shared_ptr<Socket> Socket::make_accepted(const Socket& l, int pair_app, int pair_engine) {
  size_pair(pair_app);
  size_pair(pair_engine);
  std::shared_ptr<Socket> s(new Socket(l.domain, l.type, pair_engine));
  s->opts = l.opts;
  s->nodelay.store(l.opts.nodelay, std::memory_order_relaxed);
  s->pd_point.store(l.opts.pd_point, std::memory_order_relaxed);
  s->fragment_interleave.store(l.opts.fragment_interleave, std::memory_order_relaxed);
  s->events_.store(l.events_.load());
  s->phase = Phase::kConnecting;
  s->accept_app_fd = pair_app;
  return s;
}

int Socket::ensure_tcp_socket() {
  if (tcp_fd >= 0) return 0;
  int fd = sys::socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return -errno;
  own_fd(fd);
  int on = 1;
  if (opts.reuseaddr) sys::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  tcp_fd = fd;
  return 0;
}

int Socket::bind(const sockaddr* addr, socklen_t len) {
  if (int rc = check_addr(domain, addr, len)) return rc;
  std::lock_guard lock(mu);
  if (phase != Phase::kFresh || local.ss_family != 0) return -EINVAL;
  if (int rc = ensure_tcp_socket()) return rc;
  sockaddr_storage a = to_domain(domain, addr);
  // A chosen port is shared (share_local_port) before the bind: then the
  // TIME_WAIT leftovers of this port's earlier associations' TCP sockets,
  // which kernel SCTP would not have, do not make it EADDRINUSE.
  const bool chosen = reinterpret_cast<const sockaddr_in*>(&a)->sin_port != 0;  // same offset in sockaddr_in6
  if (one_to_many() && chosen) {
    int on = 1;
    sys::setsockopt(tcp_fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    share_port = true;
  }
  if (sys::bind(tcp_fd, reinterpret_cast<sockaddr*>(&a), addr_len(domain)) < 0) return -errno;
  socklen_t l = sizeof local;
  sys::getsockname(tcp_fd, reinterpret_cast<sockaddr*>(&local), &l);
  return share_local_port();
}

// One-to-many: every association uses the socket's port, as with SCTP, so
// its own TCP socket binds that port too (SO_REUSEPORT) and the peer sees
// the socket's port. Linux binds a socket without a port to an ephemeral one
// at its first listen() or association; here too. The kernel picks that port
// without SO_REUSEPORT, which is set only afterwards: so the port is nobody
// else's (with SO_REUSEPORT it may pick one other sockets of ours hold).
// Caller holds mu.
int Socket::share_local_port() {
  if (!one_to_many() || share_port) return 0;
  if (int rc = ensure_tcp_socket()) return rc;
  if (local.ss_family == 0) {
    sockaddr_storage any{};
    any.ss_family = static_cast<sa_family_t>(domain);  // wildcard address, port 0
    if (sys::bind(tcp_fd, reinterpret_cast<sockaddr*>(&any), addr_len(domain)) < 0) return -errno;
    socklen_t l = sizeof local;
    sys::getsockname(tcp_fd, reinterpret_cast<sockaddr*>(&local), &l);
  }
  int on = 1;
  if (sys::setsockopt(tcp_fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) < 0) return -errno;
  share_port = true;
  return 0;
}

int Socket::listen(int backlog) {
  if (one_to_many()) return listen_many(backlog);
  std::vector<int> fds;
  {
    std::lock_guard lock(mu);
    if (phase == Phase::kListening) return 0;
    if (phase != Phase::kFresh) return -EINVAL;
    if (int rc = start_listening(backlog, &fds)) return rc;
  }
  auto self = shared_from_this();
  engine::Reactor::instance().post([self, fds] {
    auto* l = new Listener(self, fds);
    l->begin();
  });
  return 0;
}

// Caller holds mu. Like Linux SCTP, listen() on an unbound socket binds an
// ephemeral port (TCP's listen() does the same). Returns the listening TCP
// fd, now the engine's to take, or -errno.
int Socket::start_listening(int backlog, std::vector<int>* fds) {
  if (int rc = ensure_tcp_socket()) return rc;
  for (int fd : extra_tcp_fds)
    if (sys::listen(fd, std::max(backlog, 128)) < 0) return -errno;
  if (sys::listen(tcp_fd, std::max(backlog, 128)) < 0) return -errno;
  socklen_t l = sizeof local;
  sys::getsockname(tcp_fd, reinterpret_cast<sockaddr*>(&local), &l);
  phase = Phase::kListening;
  fds->push_back(tcp_fd);
  fds->insert(fds->end(), extra_tcp_fds.begin(), extra_tcp_fds.end());
  tcp_fd = -1;
  extra_tcp_fds.clear();
  return 0;
}

namespace {

// The packed addresses of sctp_bindx, one at a time (EINVAL when malformed).
template <class Fn>
int for_each_packed(int domain, const uint8_t* p, size_t bytes, Fn fn) {
  if (bytes == 0) return -EINVAL;
  for (size_t off = 0; off < bytes;) {
    sockaddr_storage a{};
    std::memcpy(&a, p + off, std::min(bytes - off, sizeof a));
    const size_t alen = a.ss_family == AF_INET ? sizeof(sockaddr_in) : a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : 0;
    if (alen == 0 || off + alen > bytes) return -EINVAL;
    if (int rc = check_addr(domain, reinterpret_cast<const sockaddr*>(&a), static_cast<socklen_t>(alen))) return rc;
    if (int rc = fn(to_domain(domain, reinterpret_cast<const sockaddr*>(&a)))) return rc;
    off += alen;
  }
  return 0;
}

uint16_t port_of(const sockaddr_storage& a) { return reinterpret_cast<const sockaddr_in*>(&a)->sin_port; }  // same offset in sockaddr_in6

}  // namespace

// SCTP_SOCKOPT_BINDX_ADD (sctp_bindx): the first address binds the socket,
// the others get TCP sockets of their own on the same port; all listen
// with the socket. Linux: every address must carry the socket's port (or 0).
// Over TCP this has to happen before listen() or connect().
int Socket::bindx_add(const uint8_t* addrs, size_t bytes) {
  return for_each_packed(domain, addrs, bytes, [&](sockaddr_storage a) -> int {
    {
      std::lock_guard lock(mu);
      if (phase != Phase::kFresh) return -EINVAL;
      if (local.ss_family != 0) {
        if (port_of(a) != 0 && port_of(a) != port_of(local)) return -EINVAL;
        reinterpret_cast<sockaddr_in*>(&a)->sin_port = port_of(local);
        if (same_addr(a, local)) return 0;
        for (const auto& e : extra_local)
          if (same_addr(a, e)) return 0;
        int fd = sys::socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
        if (fd < 0) return -errno;
        own_fd(fd);
        int on = 1;
        if (opts.reuseaddr) sys::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (share_port) sys::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
        if (sys::bind(fd, reinterpret_cast<sockaddr*>(&a), addr_len(domain)) < 0) {
          int err = errno;
          close_owned(fd);
          return -err;
        }
        extra_local.push_back(a);
        extra_tcp_fds.push_back(fd);
        return 0;
      }
    }
    return bind(reinterpret_cast<const sockaddr*>(&a), addr_len(domain));
  });
}

// SCTP_SOCKOPT_BINDX_REM: Linux keeps at least one address (EBUSY) and
// refuses one that is not bound (EINVAL).
int Socket::bindx_rem(const uint8_t* addrs, size_t bytes) {
  return for_each_packed(domain, addrs, bytes, [&](sockaddr_storage a) -> int {
    std::lock_guard lock(mu);
    if (phase != Phase::kFresh || local.ss_family == 0) return -EINVAL;
    if (port_of(a) != 0 && port_of(a) != port_of(local)) return -EINVAL;
    reinterpret_cast<sockaddr_in*>(&a)->sin_port = port_of(local);
    if (extra_local.empty()) return same_addr(a, local) ? -EBUSY : -EINVAL;
    if (same_addr(a, local)) {  // the first extra address takes its place
      close_owned(tcp_fd);
      tcp_fd = extra_tcp_fds.front();
      local = extra_local.front();
      extra_tcp_fds.erase(extra_tcp_fds.begin());
      extra_local.erase(extra_local.begin());
      return 0;
    }
    for (size_t i = 0; i < extra_local.size(); ++i) {
      if (!same_addr(a, extra_local[i])) continue;
      close_owned(extra_tcp_fds[i]);
      extra_tcp_fds.erase(extra_tcp_fds.begin() + static_cast<long>(i));
      extra_local.erase(extra_local.begin() + static_cast<long>(i));
      return 0;
    }
    return -EINVAL;
  });
}

int Socket::accept(int fd, sockaddr* addr, socklen_t* len, int flags, std::shared_ptr<Socket>* out) {
  if (one_to_many()) return -EOPNOTSUPP;  // associations arrive by themselves (COMM_UP)
  {
    std::lock_guard lock(mu);
    if (phase != Phase::kListening) return -EINVAL;
  }
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
  for (;;) {
    ToApp h;
    iovec iov{&h, sizeof h};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    ssize_t n = sys::recvmsg(fd, &m, (flags & SOCK_CLOEXEC) ? MSG_CMSG_CLOEXEC : 0);
    if (n < 0) return -errno;
    if (n == 0) return -EINVAL;  // the engine closed the listener
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    if (!c || c->cmsg_type != SCM_RIGHTS) continue;
    int newfd;
    std::memcpy(&newfd, CMSG_DATA(c), sizeof newfd);
    std::shared_ptr<Socket> s = take_accepted(h.accept_id);
    if (!s) {
      sys::close(newfd);
      continue;
    }
    if (flags & SOCK_NONBLOCK) sys::fcntl(newfd, F_SETFL, O_NONBLOCK | O_RDWR);
    if (addr && len) {
      std::lock_guard lock(s->mu);
      socklen_t plen = addr_len(s->peer.ss_family);
      std::memcpy(addr, &s->peer, std::min(*len, plen));
      *len = plen;
    }
    *out = std::move(s);
    return newfd;
  }
}

int Socket::connect(int fd, const sockaddr* addr, socklen_t len) {
  // Linux (sctp_inet_connect): AF_UNSPEC asks to disconnect, which SCTP refuses.
  if (addr && len >= static_cast<socklen_t>(sizeof(sa_family_t)) && addr->sa_family == AF_UNSPEC) return -EOPNOTSUPP;
  if (one_to_many()) return connect_many(fd, addr, len);
  if (int rc = check_addr(domain, addr, len)) return rc;
  int tcp = -1;
  {
    std::lock_guard lock(mu);
    switch (phase) {
      case Phase::kFresh: break;
      case Phase::kConnecting: return -EALREADY;
      case Phase::kListening: return -EISCONN;  // Linux: test_1_to_1_connect TEST8
      default: return -EISCONN;
    }
    if (int rc = ensure_tcp_socket()) return rc;
    sockaddr_storage a = to_domain(domain, addr);
    if (sys::connect(tcp_fd, reinterpret_cast<sockaddr*>(&a), addr_len(domain)) < 0 && errno != EINPROGRESS) {
      return -errno;
    }
    peer = a;
    phase = Phase::kConnecting;
    tcp = tcp_fd;
    tcp_fd = -1;
  }
  // Hold POLLOUT off until COMM_UP: a filler larger than a quarter of the
  // pair's send buffer makes the fd unwritable until the engine drains it.
  int sndbuf = 0;
  socklen_t sl = sizeof sndbuf;
  sys::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &sl);
  std::vector<uint8_t> filler(static_cast<size_t>(sndbuf / 4 + 1));
  ToEngine h;
  h.kind = ToEngineKind::kFiller;
  iovec iov[2] = {{&h, sizeof h}, {filler.data(), filler.size()}};
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = 2;
  sys::sendmsg(fd, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
  auto self = shared_from_this();
  engine::Reactor::instance().post([self, tcp] {
    auto* c = new Conn(self, tcp, true, nullptr);
    std::lock_guard lock(self->tx_mu);
    c->begin();
  });
  if (sys::fcntl(fd, F_GETFL) & O_NONBLOCK) return -EINPROGRESS;
  return wait_connected(fd);
}

int Socket::connectx(int fd, const void* addrs, size_t bytes, int32_t* id) {
  const auto* p = static_cast<const uint8_t*>(addrs);
  int rc = -EINVAL;
  for (size_t off = 0; off + sizeof(sa_family_t) <= bytes;) {
    sockaddr_storage a{};
    std::memcpy(&a, p + off, std::min(bytes - off, sizeof a));
    const size_t alen = a.ss_family == AF_INET ? sizeof(sockaddr_in) : a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : 0;
    if (alen == 0 || off + alen > bytes) return -EINVAL;
    off += alen;
    rc = connect(fd, reinterpret_cast<const sockaddr*>(&a), static_cast<socklen_t>(alen));
    if (rc == 0 || rc == -EINPROGRESS) {
      std::lock_guard lock(mu);
      *id = one_to_many() ? last_connect_id : assoc_id;
      return rc;
    }
  }
  return rc;
}

int Socket::wait_connected(int fd) {
  pollfd p{fd, POLLOUT, 0};
  for (;;) {
    if (sys::poll(&p, 1, -1) < 0) {
      if (errno == EINTR) return -EINTR;  // as Linux: the association keeps coming up
      return -errno;
    }
    std::lock_guard lock(mu);
    if (phase == Phase::kConnecting) continue;
    if (phase == Phase::kEstablished || phase == Phase::kShutdown) return 0;
    int err = pending_error ? pending_error : ECONNREFUSED;
    pending_error = 0;
    return -err;
  }
}

int Socket::shutdown(int fd, int how) {
  if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR) return -EINVAL;
  if (one_to_many()) {  // Linux (inet_shutdown): a one-to-many socket has no connection to shut
    std::lock_guard lock(mu);
    if (phase != Phase::kListening) return -ENOTCONN;
    return how == SHUT_WR ? 0 : -EOPNOTSUPP;
  }
  {
    std::lock_guard lock(mu);
    if (phase != Phase::kEstablished && phase != Phase::kShutdown && phase != Phase::kConnecting) return -ENOTCONN;
  }
  if (how == SHUT_RD) return 0;  // Linux SCTP ignores SHUT_RD
  {
    std::lock_guard lock(mu);
    write_shut = true;  // direct sends do not meet the pair's own EPIPE
  }
  // The engine reads EOF from the pair and starts SCTP's graceful shutdown.
  if (sys::shutdown(fd, SHUT_WR) < 0) return -errno;
  return 0;
}

int Socket::getsockname(sockaddr* addr, socklen_t* len) {
  if (!addr || !len) return -EFAULT;
  std::lock_guard lock(mu);
  sockaddr_storage a = local;
  if (a.ss_family == 0) a.ss_family = static_cast<sa_family_t>(domain);
  socklen_t l = addr_len(a.ss_family);
  std::memcpy(addr, &a, std::min(*len, l));
  *len = l;
  return 0;
}

int Socket::getpeername(sockaddr* addr, socklen_t* len) {
  if (!addr || !len) return -EFAULT;
  std::lock_guard lock(mu);
  if (phase != Phase::kEstablished && phase != Phase::kShutdown) return -ENOTCONN;
  socklen_t l = addr_len(peer.ss_family);
  std::memcpy(addr, &peer, std::min(*len, l));
  *len = l;
  return 0;
}

void Socket::on_last_close() {
  bool abort;
  int tcp;
  {
    std::lock_guard lock(mu);
    abort = opts.linger_on && opts.linger_secs == 0;
    tcp = tcp_fd;
    tcp_fd = -1;
  }
  if (tcp >= 0) close_owned(tcp);
  if (fork_generation != socket::fork_generation()) return;
  // Set before the fd closes: the engine may see the pair's EOF before the
  // task below runs, and must not mistake the abort for a graceful close.
  if (abort) abort_on_close_.store(true, std::memory_order_release);
  auto self = shared_from_this();
  engine::Reactor::instance().post([self, abort] {
    std::lock_guard lock(self->tx_mu);
    if (self->conn) {
      if (abort) self->conn->abort_local();
      return;  // otherwise the engine sees EOF on the pair and shuts down gracefully
    }
    if (self->listener || self->hub) return;  // they see the EOF too
    if (!self->engine_fd_closed) {
      self->engine_fd_closed = true;
      close_owned(self->engine_fd);
    }
  });
}

void Socket::set_established(uint16_t os, uint16_t is, const sockaddr_storage& l, const sockaddr_storage& p) {
  std::lock_guard lock(mu);
  outbound_streams = os;
  inbound_streams = is;
  local = l;
  peer = p;
  if (phase == Phase::kConnecting) phase = Phase::kEstablished;
}


Conn* Socket::conn_for(int32_t id) const {
  if (!one_to_many()) return conn;
  return hub ? hub->find(id) : nullptr;
}

namespace {

// How long the ACKs for what the application took may wait for company:
// more messages, or a reply of the application they can ride on.
constexpr Duration kAckDelay = std::chrono::milliseconds(1);
// Taken bytes that are ACKed at once: the peer's send buffer waits for them.
constexpr size_t kAckBytes = 32 * 1024;

}  // namespace

void Socket::note_taken(int32_t id, size_t len) {
  AckDoorbell* db = doorbell.get();  // per message: no reference count to touch
  std::shared_ptr<AckDoorbell> keep;  // one-to-many: the association may end meanwhile
  if (one_to_many()) {
    std::lock_guard lock(mu);
    auto it = assocs.find(id);
    if (it == assocs.end()) return;
    keep = it->second.doorbell;
    db = keep.get();
  }
  db->taken.fetch_add(1);
  const bool urgent = ack_due(*db, len);
  // A message that alone makes the ACK due (a large one, few of which fill
  // the peer's window) is ACKed by this thread at once: the engine's
  // wake-up would sit in the middle of the peer's send loop (64000 B
  // 0.41-0.45x -> 0.52-0.61x raw TCP in paired runs). Runs of smaller
  // messages leave it to the engine, which has a core to spare for it
  // while this thread reads on (16 KiB: measured worse when this thread
  // wrote the ACK of every second message).
  if (urgent && len >= kAckBytes && !one_to_many() && fork_generation == socket::fork_generation()) {
    std::lock_guard lock(tx_mu);
    if (direct && direct->ack_direct()) return;
  }
  if (db->scheduled.exchange(true) && !urgent) return;  // an urgent one overtakes a lazy one
  if (fork_generation != socket::fork_generation()) return;
  auto self = shared_from_this();
  auto ack = [self, id] {
    std::lock_guard lock(self->tx_mu);
    if (Conn* c = self->conn_for(id)) c->on_app_took();
  };
  engine::Reactor& r = engine::Reactor::instance();
  if (urgent) {
    r.post(std::move(ack));
  } else {
    r.post_by(std::move(ack), r.now() + kAckDelay);
  }
}

// Caller holds rx_mu_. The ACKs for what the application took from an
// association are due at once when enough bytes were taken since the last
// ACK for the peer's send buffer to care; otherwise they wait (kAckDelay)
// for company: more messages, the engine's next turn, or a reply to ride on,
// instead of costing a TCP segment and a wake-up of both engines each.
bool Socket::ack_due(AckDoorbell& db, size_t len) {
  const uint32_t unacked = db.taken.load() - db.acked.load();
  if (unacked <= 1) db.run_bytes = 0;  // the rest was ACKed, perhaps riding on a reply
  db.run_bytes += len;
  if (db.run_bytes < kAckBytes) return false;
  db.run_bytes = 0;
  return true;
}

void Socket::check_dry(int32_t id) {
  if (fork_generation != socket::fork_generation()) return;
  auto self = shared_from_this();
  engine::Reactor::instance().post([self, id] {
    std::lock_guard lock(self->tx_mu);
    // Linux (sctp_setsockopt_event): SCTP_CURRENT_ASSOC and SCTP_ALL_ASSOC
    // mean every association of a one-to-many socket.
    if (self->one_to_many() && (id == SCTP_CURRENT_ASSOC || id == SCTP_ALL_ASSOC)) {
      if (self->hub) self->hub->for_each([](Conn& c) { c.notify_dry(); });
      return;
    }
    if (Conn* c = self->conn_for(id)) c->notify_dry();
  });
}

}  // namespace sctpmap::socket
