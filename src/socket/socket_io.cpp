// SPDX-License-Identifier: MIT
// Socket data calls: sendmsg and recvmsg with RFC 6458 ancillary data.
#include <arpa/inet.h>
#include "socket/sctp_uapi.hpp"
#include <netinet/in.h>

#include <fcntl.h>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstring>
#include <optional>

#include "common/sys.hpp"
#include "socket/conn.hpp"
#include "socket/socket.hpp"
#include "wire/chunk.hpp"

namespace sctpmap::socket {
namespace {

constexpr size_t kMaxIov = 1024;
// How long a blocking send waits for room before it queues in the pair.
constexpr auto kDirectWait = std::chrono::milliseconds(10);
// From this size a blocked sender reads the ACKs it waits for itself.
constexpr size_t kReadAcksMin = 4096;

// SCTP_PRINFO as Linux reads it (sctp_msghdr_parse): exactly one struct, a
// known policy, no value without one. Applied after the other cmsgs, as
// Linux's sctp_sendmsg_parse does: it sets the policy in the flags and the
// TTL; without SCTP_SNDRCV or SCTP_SNDINFO the default flags do not apply.
int parse_prinfo(const cmsghdr* c, size_t len, std::optional<sctp_prinfo>* out) {
  if (len != sizeof(sctp_prinfo)) return -EINVAL;
  sctp_prinfo pr;
  std::memcpy(&pr, CMSG_DATA(c), sizeof pr);
  if (pr.pr_policy & ~SCTP_PR_SCTP_MASK) return -EINVAL;
  if (pr.pr_policy == SCTP_PR_SCTP_NONE) pr.pr_value = 0;
  *out = pr;
  return 0;
}

// RFC 6458 5.3: SCTP_SNDRCV (deprecated), SCTP_SNDINFO, SCTP_PRINFO,
// SCTP_AUTHINFO, SCTP_DSTADDRV4/V6 are valid on send; anything else is EINVAL.
int parse_send_cmsgs(const msghdr* msg, SendParams* p) {
  if (!msg->msg_control || msg->msg_controllen == 0) return 0;
  std::optional<sctp_prinfo> prinfo;
  for (cmsghdr* c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(const_cast<msghdr*>(msg), c)) {
    if (c->cmsg_level != IPPROTO_SCTP) continue;
    size_t len = c->cmsg_len - CMSG_LEN(0);
    switch (c->cmsg_type) {
      case SCTP_SNDRCV: {
        if (len < sizeof(sctp_sndrcvinfo)) return -EINVAL;
        sctp_sndrcvinfo s;
        std::memcpy(&s, CMSG_DATA(c), sizeof s);
        *p = SendParams::of(s);
        p->given = true;
        break;
      }
      case SCTP_SNDINFO: {
        if (len < sizeof(sctp_sndinfo)) return -EINVAL;
        sctp_sndinfo s;
        std::memcpy(&s, CMSG_DATA(c), sizeof s);
        p->sid = s.snd_sid;
        p->flags = s.snd_flags;
        p->ppid = s.snd_ppid;
        p->context = s.snd_context;
        p->assoc_id = s.snd_assoc_id;
        p->given = true;
        break;
      }
      case SCTP_PRINFO:
        if (int rc = parse_prinfo(c, len, &prinfo)) return rc;
        break;
      case SCTP_AUTHINFO:
      case SCTP_DSTADDRV4:
      case SCTP_DSTADDRV6:
      case SCTP_INIT:
        break;
      default:
        return -EINVAL;
    }
  }
  if (prinfo) {
    if (!p->given) p->flags = 0;
    p->flags = static_cast<uint16_t>((p->flags & ~SCTP_PR_SCTP_MASK) | prinfo->pr_policy);
    p->ttl = prinfo->pr_value;
  }
  return 0;
}

// Linux (sctp_datamsg_from_user): a message expires when PR-SCTP is on and
// it has a TTL under policy SCTP_PR_SCTP_TTL, or under no policy at all.
// RTX never abandons a message here (TCP does the retransmitting) and PRIO
// is accepted without effect: both send reliably. A TTL of 0 means none.
uint32_t effective_ttl(const SendParams& p, bool pr_supported) {
  const uint16_t policy = SCTP_PR_POLICY(p.flags);
  if (!pr_supported || (policy != SCTP_PR_SCTP_NONE && policy != SCTP_PR_SCTP_TTL)) return 0;
  return p.ttl;
}

size_t iov_total(const msghdr* msg) {
  size_t total = 0;
  for (size_t i = 0; i < msg->msg_iovlen; ++i) total += msg->msg_iov[i].iov_len;
  return total;
}

// Copies `len` bytes into the caller's iovecs starting at byte `skip`.
void scatter(const msghdr* msg, const uint8_t* src, size_t len) {
  for (size_t i = 0; i < msg->msg_iovlen && len > 0; ++i) {
    size_t n = std::min(len, msg->msg_iov[i].iov_len);
    std::memcpy(msg->msg_iov[i].iov_base, src, n);
    src += n;
    len -= n;
  }
}

// The caller's iovecs past their first `skip` bytes, into `out`; returns the count.
size_t skip_iov(const msghdr* msg, size_t skip, iovec* out) {
  size_t n = 0;
  for (size_t i = 0; i < msg->msg_iovlen; ++i) {
    iovec v = msg->msg_iov[i];
    const size_t cut = std::min(skip, v.iov_len);
    skip -= cut;
    if (v.iov_len == cut) continue;
    out[n++] = {static_cast<uint8_t*>(v.iov_base) + cut, v.iov_len - cut};
  }
  return n;
}

// Copies the first `len` bytes of the caller's iovecs to `dst`.
void gather(const msghdr* msg, uint8_t* dst, size_t len) {
  for (size_t i = 0; i < msg->msg_iovlen && len > 0; ++i) {
    size_t n = std::min(len, msg->msg_iov[i].iov_len);
    std::memcpy(dst, msg->msg_iov[i].iov_base, n);
    dst += n;
    len -= n;
  }
}

void put_cmsg(msghdr* msg, size_t* used, int type, const void* data, size_t len) {
  size_t need = CMSG_SPACE(len);
  if (!msg->msg_control || *used + need > msg->msg_controllen) {
    msg->msg_flags |= MSG_CTRUNC;
    return;
  }
  auto* c = reinterpret_cast<cmsghdr*>(static_cast<char*>(msg->msg_control) + *used);
  c->cmsg_level = IPPROTO_SCTP;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(len);
  std::memcpy(CMSG_DATA(c), data, len);
  *used += need;
}

// Where the front bundle is peeked at; only its used part is ever touched.
thread_local std::vector<uint8_t> t_bundle;

}  // namespace

ssize_t Socket::sendmsg(int fd, const msghdr* msg, int flags) {
  if (!msg || (msg->msg_iovlen > 0 && !msg->msg_iov)) return -EFAULT;
  if (msg->msg_iovlen > kMaxIov - 1) return -EMSGSIZE;
  SendParams p;
  uint16_t os = 0;
  size_t limit = 0;
  bool pr_supported = true;
  {
    std::lock_guard lock(mu);
    p = SendParams::of(opts.default_send);
    pr_supported = opts.pr_supported;
    if (!one_to_many()) switch (write_shut ? Phase::kShutdown : phase) {
      case Phase::kEstablished:
      case Phase::kConnecting:
        break;
      default:  // Linux: no association to send on (sctp_sendmsg), EPIPE with SIGPIPE (sctp_error)
        if (!(flags & MSG_NOSIGNAL)) raise(SIGPIPE);
        return -EPIPE;
    }
    os = outbound_streams;
    limit = message_limit(max_message);
  }
  if (int rc = parse_send_cmsgs(msg, &p)) return rc;
  p.ttl = effective_ttl(p, pr_supported);
  size_t len = iov_total(msg);
  // Linux (sctp_sendmsg_parse): SCTP_EOF, SCTP_ABORT and SCTP_SENDALL are
  // one-to-many flags; SCTP_EOF carries no data; only they allow length 0.
  if (!one_to_many() && (p.flags & (SCTP_EOF | SCTP_ABORT | SCTP_SENDALL))) return -EINVAL;
  if ((p.flags & SCTP_EOF) && len > 0) return -EINVAL;
  if (len == 0 && !(p.flags & (SCTP_EOF | SCTP_ABORT))) return -EINVAL;
  if (one_to_many()) return sendmsg_many(fd, msg, flags, p, len);
  if (len > limit) return -EMSGSIZE;
  if (os != 0 && p.sid >= os) return -EINVAL;
  p.assoc_id = assoc_id;
  return send_to_engine(fd, msg, flags, p, len);
}

// The association is chosen and the message checked: straight to TCP when
// the association allows (Conn::send_direct), else through the pair.
ssize_t Socket::send_to_engine(int fd, const msghdr* msg, int flags, const SendParams& p, size_t len) {
  ToEngine h;
  h.kind = ToEngineKind::kData;
  h.sid = p.sid;
  h.flags = p.flags;
  h.ppid = p.ppid;
  h.context = p.context;
  h.ttl = p.ttl;
  h.assoc_id = p.assoc_id;
  if (len > kPairSendMax) return send_large(fd, h, msg, len, flags);
  if (fork_generation == socket::fork_generation()) {
    // Waiting for the engine (it holds the lock for one batch of work) costs
    // less than falling back to the pair: measured, docs/PERFORMANCE.md.
    std::unique_lock lock(tx_mu);
    // A blocking sender whose association is up but momentarily full waits
    // here a little for ACKs rather than queueing in the pair (two more
    // copies, and the engine's work per message); after kDirectWait the pair
    // takes over, whose blocking write honours signals and SO_SNDTIMEO. Now
    // that ACKs come in batches (Socket::note_taken) this pays for small
    // messages too (measured, docs/PERFORMANCE.md).
    std::optional<std::chrono::steady_clock::time_point> until;  // read the clock only to wait
    for (;;) {
      Conn* c = direct;
      if (one_to_many()) {
        auto it = direct_assocs.find(p.assoc_id);
        c = it == direct_assocs.end() ? nullptr : it->second;
      }
      if (!c) break;
      if (c->send_direct(h, msg, len)) return static_cast<ssize_t>(len);
      if ((flags & MSG_DONTWAIT) || (sys::fcntl(fd, F_GETFL) & O_NONBLOCK)) break;
      const auto now = std::chrono::steady_clock::now();
      if (!until) until = now + kDirectWait;
      if (now >= *until) break;
      if (!one_to_many() && len >= kReadAcksMin) {
        // The room comes with ACKs: this thread reads them itself, as a
        // blocked reader does (Socket::wait_readable), so an ACK wakes it
        // alone instead of the engine and then it. Only for large messages,
        // whose few in flight make the ACK loop's latency the bound; a
        // stream of small ones is bound by this thread's CPU, which the
        // engine's core better spends on the ACKs (measured).
        int tcp = -1;
        const Conn::AppRead got = c->read_tcp_from_app(&tcp);
        if (got == Conn::AppRead::kRead) continue;
        if (got == Conn::AppRead::kEmpty) {
          lock.unlock();
          pollfd pf{tcp, POLLIN, 0};
          const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(*until - now).count() + 1;
          const int r = sys::poll(&pf, 1, static_cast<int>(left));
          lock.lock();
          if (direct == c) c->app_wait_done(r > 0);
          continue;
        }
      }
      tx_waiters.fetch_add(1);
      tx_cv.wait_until(lock, *until);
      tx_waiters.fetch_sub(1);
    }
  }
  iovec iov[kMaxIov];
  iov[0] = {&h, sizeof h};
  for (size_t i = 0; i < msg->msg_iovlen; ++i) iov[i + 1] = msg->msg_iov[i];
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = msg->msg_iovlen + 1;
  if (h.ttl != 0) {  // its time-to-live runs from here: it waits in the pair
    h.expires_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       (std::chrono::steady_clock::now() + std::chrono::milliseconds(h.ttl)).time_since_epoch())
                       .count();
  }
  pair_data_queued.fetch_add(1);  // before the write: a direct send must not overtake it
  ssize_t n = sys::sendmsg(fd, &m, flags & (MSG_DONTWAIT | MSG_NOSIGNAL));
  if (n < 0) {
    int err = errno;
    pair_data_queued.fetch_sub(1);
    return -err;
  }
  return n - static_cast<ssize_t>(sizeof h);
}

size_t Socket::message_limit(size_t known) const {
  if (opts.disable_fragments) return wire::kMaxDraftMessage;
  if (known) return known;
  return std::max(wire::kMaxDraftMessage, std::min(opts.assoc.max_message, opts.assoc.sndbuf));
}

// A message too large for the pair waits here, not in the pair, until the
// association can take it whole (Conn::send_direct), then goes straight to
// TCP. Non-blocking: EAGAIN until then (as Linux, where POLLOUT promises
// some room, not room for any message).
ssize_t Socket::send_large(int fd, const ToEngine& h, const msghdr* msg, size_t len, int flags) {
  if (fork_generation != socket::fork_generation()) return -EPIPE;  // no engine of ours in a fork()ed child
  const bool nonblocking = (flags & MSG_DONTWAIT) || (sys::fcntl(fd, F_GETFL) & O_NONBLOCK);
  std::unique_lock lock(tx_mu);
  for (;;) {
    Conn* c = direct;
    if (one_to_many()) {
      auto it = direct_assocs.find(h.assoc_id);
      c = it == direct_assocs.end() ? nullptr : it->second;
    }
    if (c && c->send_direct(h, msg, len)) return static_cast<ssize_t>(len);
    {
      std::lock_guard state(mu);  // tx_mu before mu, as the engine takes them
      Phase ph = phase;
      if (one_to_many()) {
        auto it = assocs.find(h.assoc_id);
        ph = it == assocs.end() ? Phase::kClosed : it->second.phase;
      }
      if (ph == Phase::kClosed || ph == Phase::kShutdown || write_shut) {
        if (!(flags & MSG_NOSIGNAL)) raise(SIGPIPE);
        return -EPIPE;
      }
    }
    if (nonblocking) return -EAGAIN;
    tx_waiters.fetch_add(1);
    tx_cv.wait_for(lock, std::chrono::milliseconds(100));  // the timeout only guards against a lost wake-up
    tx_waiters.fetch_sub(1);
  }
}

// Reads the front entry of the front bundle (pair_message.hpp). The bundle
// leaves the pair only with its last entry, so POLLIN stays exact. The
// common case, a bundle of one message that fits the caller's buffer, costs a
// peek and a discard; otherwise the bundle is copied once into rx_bundle_ and
// served from there: its further entries cost no system call, and a message
// longer than the buffer is read in pieces (no MSG_EOR until the end,
// ancillary data with each piece, as SCTP). A message the engine delivered
// in pieces (above kPieceMax) is joined here while the buffer has room.
ssize_t Socket::recvmsg(int fd, msghdr* msg, int flags) {
  if (!msg || (msg->msg_iovlen > 0 && !msg->msg_iov)) return -EFAULT;
  if (msg->msg_iovlen > kMaxIov - 2) return -EMSGSIZE;
  if (!one_to_many()) {
    std::lock_guard lock(mu);
    if (phase == Phase::kFresh || phase == Phase::kListening) return -ENOTCONN;
  }
  if (!one_to_many() || (flags & MSG_DONTWAIT)) {
    std::lock_guard rx_lock(rx_mu_);  // the position in the front bundle is every reader's
    return recv_locked(fd, msg, flags, false);
  }
  // One-to-many: wait for a message without holding rx_mu_, so sctp_peeloff
  // on another thread is not held up by a reader with nothing to read. The
  // zero-length peek blocks as the caller's recvmsg would (O_NONBLOCK,
  // SO_RCVTIMEO, signals) and costs a system call only when idle.
  for (;;) {
    {
      std::lock_guard rx_lock(rx_mu_);
      ssize_t n = recv_locked(fd, msg, flags, true);
      if (n != -EAGAIN) return n;
    }
    if (sys::recv(fd, nullptr, 0, MSG_PEEK) < 0) return -errno;
  }
}

// recvmsg with rx_mu_ held. `first_nowait`: the first entry is not waited for
// (the caller waits); the pieces of a message still are, as `flags` say.
ssize_t Socket::recv_locked(int fd, msghdr* msg, int flags, bool first_nowait) {
  ToApp h;
  bool whole = false;
  ssize_t n = take_entry(fd, msg, flags | (first_nowait ? MSG_DONTWAIT : 0), &h, &whole);
  if (n < 0) return n;
  if (n == 0 && h.kind != ToAppKind::kData && h.kind != ToAppKind::kNotification) return recv_eof(msg);
  size_t total = static_cast<size_t>(n);
  const size_t cap = iov_total(msg);
  // The engine has the whole message and is writing its pieces: a blocking
  // call waits for them, as Linux returns a complete message whole. The
  // rest of a message in partial delivery (kMoreLater) may take any time:
  // what is already here is joined, nothing is waited for.
  const bool blocking = h.more && !(flags & MSG_DONTWAIT) && !(sys::fcntl(fd, F_GETFL) & O_NONBLOCK);
  while (whole && h.more && !(flags & MSG_PEEK) && total < cap &&
         next_piece_ready(fd, h.assoc_id, blocking && h.more == kMoreFollows)) {
    iovec rest[kMaxIov];
    msghdr m = *msg;
    m.msg_iov = rest;
    m.msg_iovlen = skip_iov(msg, total, rest);
    ToApp piece;
    ssize_t k = take_entry(fd, &m, flags | MSG_DONTWAIT, &piece, &whole);
    if (k <= 0) break;
    total += static_cast<size_t>(k);
    h.more = piece.more;
  }
  return finish_recv(fd, msg, h, total, whole && !h.more, flags);
}

// The next entry (in rx_bundle_, else at the front of the pair, waited for
// if `wait`) is the next piece of association `id`'s message: the engine
// writes a message's pieces in order, and on a one-to-many socket with
// SCTP_FRAGMENT_INTERLEAVE another association's entries may come between
// them, which ends the read there. Caller holds rx_mu_.
bool Socket::next_piece_ready(int fd, int32_t id, bool wait) {
  ToApp next;
  if (rx_pos_ < rx_bundle_.size()) {
    if (rx_bundle_.size() - rx_pos_ < sizeof next) return false;
    std::memcpy(&next, rx_bundle_.data() + rx_pos_, sizeof next);
  } else if (sys::recv(fd, &next, sizeof next, MSG_PEEK | (wait ? 0 : MSG_DONTWAIT)) !=
             static_cast<ssize_t>(sizeof next)) {
    return false;
  }
  return next.kind == ToAppKind::kData && next.assoc_id == id;
}

// One entry, or the next part of it: the bytes given to the caller, the
// entry's header in `h` (kind 0 at end of file), and whether the entry is
// now read to its end. Caller holds rx_mu_.
ssize_t Socket::take_entry(int fd, msghdr* msg, int flags, ToApp* out, bool* whole) {
  *out = ToApp{};
  out->kind = static_cast<ToAppKind>(0);
  if (rx_pos_ < rx_bundle_.size()) return recv_entry(fd, msg, flags, out, whole);
  // Peek the header, the first entry's payload straight into the caller's
  // buffer, and whatever follows into t_bundle.
  if (t_bundle.size() < kPairBundleMax) t_bundle.resize(kPairBundleMax);
  ToApp h;
  iovec iov[kMaxIov];
  size_t n_iov = 0;
  iov[n_iov++] = {&h, sizeof h};
  for (size_t i = 0; i < msg->msg_iovlen; ++i) iov[n_iov++] = msg->msg_iov[i];
  iov[n_iov++] = {t_bundle.data(), t_bundle.size()};
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = n_iov;
  ssize_t n;
  for (;;) {
    n = sys::recvmsg(fd, &m, MSG_DONTWAIT | MSG_PEEK);
    if (n >= 0 || errno != EAGAIN || (flags & MSG_DONTWAIT)) break;
    if (int rc = wait_readable(fd); rc < 0) return rc;
  }
  if (n < 0) return -errno;
  if (n == 0) return 0;  // end of file: out->kind stays 0
  if (static_cast<size_t>(n) < sizeof h) return -EIO;  // the engine writes whole headers
  const size_t cap = iov_total(msg);
  const size_t body = static_cast<size_t>(n) - sizeof h;
  if (h.len == body && h.len <= cap && !(flags & MSG_PEEK)) {
    sys::recv(fd, nullptr, 0, MSG_DONTWAIT);  // a lone entry, read whole: take it out of the pair
    *out = h;
    *whole = true;
    return h.len;
  }
  // Several entries, or a piece: rebuild the bundle from the caller's buffer and t_bundle.
  rx_bundle_.resize(static_cast<size_t>(n));
  std::memcpy(rx_bundle_.data(), &h, sizeof h);
  const size_t in_user = std::min(cap, body);
  gather(msg, rx_bundle_.data() + sizeof h, in_user);
  std::memcpy(rx_bundle_.data() + sizeof h + in_user, t_bundle.data(), body - in_user);
  rx_pos_ = 0;
  partial_off_ = 0;
  return recv_entry(fd, msg, flags, out, whole);
}

// Whether a signal that interrupted a wait restarts it: as the kernel
// restarts a blocking recv when the handler has SA_RESTART. Which signal it
// was is unknown here, so every caught signal must have SA_RESTART, except
// the faults a blocked thread cannot raise (the handlers of sanitizers and
// crash reporters have no SA_RESTART).
static bool restart_after_signal() {
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL || sig == SIGTRAP || sig == SIGSYS) continue;
    struct sigaction sa {};
    if (::sigaction(sig, nullptr, &sa) != 0) continue;
    if (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN) continue;
    if (!(sa.sa_flags & SA_RESTART)) return false;
  }
  return true;
}

// A blocking read found the pair empty: waits until it has something, as a
// blocking recv on it would (O_NONBLOCK, SO_RCVTIMEO, signals). A one-to-one
// socket's thread meanwhile reads TCP itself (Conn::read_tcp_from_app) and
// waits on the TCP socket too, so that a message wakes this thread alone,
// not the engine and then this thread. Caller holds rx_mu_.
int Socket::wait_readable(int fd) {
  if (sys::fcntl(fd, F_GETFL) & O_NONBLOCK) return -EAGAIN;
  timeval tv{};
  socklen_t tl = sizeof tv;
  int timeout = -1;
  if (sys::getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &tl) == 0 && (tv.tv_sec || tv.tv_usec)) {
    timeout = static_cast<int>(tv.tv_sec * 1000 + (tv.tv_usec + 999) / 1000);
  }
  for (;;) {
    int tcp = -1;
    if (!one_to_many() && fork_generation == socket::fork_generation()) {
      std::lock_guard lock(tx_mu);
      if (direct && direct->read_tcp_from_app(&tcp) == Conn::AppRead::kRead) return 0;
    }
    pollfd p[2] = {{fd, POLLIN, 0}, {tcp, POLLIN, 0}};
    int r = sys::poll(p, tcp >= 0 ? 2 : 1, timeout);
    const int err = errno;
    const bool tcp_next = r > 0 && tcp >= 0 && (p[1].revents & POLLIN) && !(p[0].revents & POLLIN);
    if (tcp >= 0) {
      std::lock_guard lock(tx_mu);
      if (direct) direct->app_wait_done(tcp_next);
    }
    if (tcp_next) continue;  // read it on this thread
    if (r > 0) return 0;
    if (r == 0) return -EAGAIN;  // SO_RCVTIMEO, as recv
    if (err != EINTR || !restart_after_signal()) return -err;
  }
}

// The engine closed its end and every bundle has been read: end of file, or
// the error that ended the association.
ssize_t Socket::recv_eof(msghdr* msg) {
  std::lock_guard lock(mu);
  int err = pending_error;
  pending_error = 0;
  msg->msg_controllen = 0;
  msg->msg_flags = 0;
  // Linux (sctp_recvmsg): the one-to-one socket that sent SHUTDOWN is CLOSED
  // once the association is gone, ENOTCONN; its peer reads end of file.
  if (!err && write_shut && !one_to_many()) err = ENOTCONN;
  return err ? -err : 0;
}

// Serves the entry at rx_pos_ from the copied bundle. Caller holds rx_mu_.
ssize_t Socket::recv_entry(int fd, msghdr* msg, int flags, ToApp* out, bool* whole) {
  ToApp& h = *out;
  if (rx_bundle_.size() - rx_pos_ < sizeof h) return -EIO;
  std::memcpy(&h, rx_bundle_.data() + rx_pos_, sizeof h);
  if (rx_bundle_.size() - rx_pos_ - sizeof h < h.len) return -EIO;
  const uint8_t* payload = rx_bundle_.data() + rx_pos_ + sizeof h;
  const size_t len = std::min(iov_total(msg), h.len - partial_off_);
  scatter(msg, payload + partial_off_, len);
  const bool last = partial_off_ + len == h.len;
  *whole = last;
  if (!(flags & MSG_PEEK)) {
    partial_off_ = last ? 0 : partial_off_ + len;
    if (last) rx_pos_ += sizeof h + h.len;
    if (rx_pos_ == rx_bundle_.size()) {
      sys::recv(fd, nullptr, 0, MSG_DONTWAIT);  // the bundle's last entry: take it out of the pair
      rx_pos_ = 0;
      rx_bundle_.clear();
      // A few KiB stay for the next burst; a large copy is not kept idle.
      if (rx_bundle_.capacity() > 16 * 1024) std::vector<uint8_t>().swap(rx_bundle_);
    }
  }
  return static_cast<ssize_t>(len);
}

// SCTP_NXTINFO: what the next recvmsg would return, if it is already here
// (Linux: sctp_ulpevent_read_nxtinfo peeks the receive queue). Caller holds rx_mu_.
bool Socket::peek_next(int fd, ToApp* next) {
  if (rx_pos_ < rx_bundle_.size()) {
    if (rx_bundle_.size() - rx_pos_ < sizeof *next) return false;
    std::memcpy(next, rx_bundle_.data() + rx_pos_, sizeof *next);
    return true;
  }
  return sys::recv(fd, next, sizeof *next, MSG_PEEK | MSG_DONTWAIT) == static_cast<ssize_t>(sizeof *next);
}

ssize_t Socket::finish_recv(int fd, msghdr* msg, const ToApp& h, size_t len, bool last, int flags) {
  const bool notification = h.kind == ToAppKind::kNotification;
  msg->msg_flags = notification ? MSG_NOTIFICATION : 0;
  size_t used = 0;
  bool want_rcvinfo, want_nxtinfo;
  uint32_t context;  // SCTP_CONTEXT: the receiver's own tag for the association
  {
    std::lock_guard lock(mu);
    want_rcvinfo = opts.recv_rcvinfo;
    want_nxtinfo = opts.recv_nxtinfo;
    context = opts.context;
    if (one_to_many()) {  // the association's own (kept after it ends, for what it queued)
      auto it = assocs.find(h.assoc_id);
      if (it != assocs.end()) context = it->second.opts.context;
    }
  }
  // Linux's order (sctp_recvmsg): NXTINFO, RCVINFO, then SNDRCV; libsctp's
  // sctp_recvv sizes its buffer for the first two only.
  ToApp next;
  if (want_nxtinfo && last && !(flags & MSG_PEEK) && peek_next(fd, &next) &&
      (next.kind == ToAppKind::kData || next.kind == ToAppKind::kNotification)) {
    sctp_nxtinfo n{};
    n.nxt_sid = next.sid;
    // As Linux (__sctp_ulpevent_read_nxtinfo): the message's flags, plus
    // SCTP_NOTIFICATION; the length of what is queued of it.
    n.nxt_flags = static_cast<uint16_t>((next.flags & SCTP_UNORDERED) |
                                        (next.kind == ToAppKind::kNotification ? SCTP_NOTIFICATION : 0));
    n.nxt_ppid = next.ppid;
    n.nxt_length = next.len;
    n.nxt_assoc_id = next.assoc_id;
    put_cmsg(msg, &used, SCTP_NXTINFO, &n, sizeof n);
  }
  if (!notification) {
    if (want_rcvinfo) {
      sctp_rcvinfo r{};
      r.rcv_sid = h.sid;
      r.rcv_ssn = h.ssn;
      r.rcv_flags = h.flags;
      r.rcv_ppid = h.ppid;
      r.rcv_tsn = h.tsn;
      r.rcv_cumtsn = h.cumtsn;
      r.rcv_context = context;
      r.rcv_assoc_id = h.assoc_id;
      put_cmsg(msg, &used, SCTP_RCVINFO, &r, sizeof r);
    }
    if (events() & event_bit(SCTP_DATA_IO_EVENT)) {
      sctp_sndrcvinfo s{};
      s.sinfo_stream = h.sid;
      s.sinfo_ssn = h.ssn;
      s.sinfo_flags = h.flags;
      s.sinfo_ppid = h.ppid;
      s.sinfo_tsn = h.tsn;
      s.sinfo_cumtsn = h.cumtsn;
      s.sinfo_context = context;
      s.sinfo_assoc_id = h.assoc_id;
      put_cmsg(msg, &used, SCTP_SNDRCV, &s, sizeof s);
    }
  }
  msg->msg_controllen = used;
  if (msg->msg_name) {
    std::lock_guard lock(mu);
    sockaddr_storage from = peer;
    if (one_to_many()) {
      auto it = assocs.find(h.assoc_id);
      from = it != assocs.end() ? it->second.peer : sockaddr_storage{};
    }
    socklen_t l = from.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    std::memcpy(msg->msg_name, &from, std::min(msg->msg_namelen, l));
    msg->msg_namelen = l;
  }
  if (last) {
    msg->msg_flags |= MSG_EOR;
    if (!notification && !(flags & MSG_PEEK)) note_taken(h.assoc_id, h.len);
  }
  return static_cast<ssize_t>(len);
}

}  // namespace sctpmap::socket
