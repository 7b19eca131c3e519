// SPDX-License-Identifier: MIT
// sctp_peeloff (RFC 6458 9.2): one association of a one-to-many socket moves
// to a one-to-one socket of its own, with everything Linux moves along
// (sctp_sock_migrate): its id, its option values and event subscriptions,
// and what it delivered that the application has not read yet, in order and
// ahead of what it delivers later. The other associations' messages stay.
#include <fcntl.h>

#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "common/sys.hpp"
#include "engine/reactor.hpp"
#include "socket/conn.hpp"
#include "socket/engine_fds.hpp"
#include "socket/hub.hpp"
#include "socket/socket.hpp"

namespace sctpmap::socket {
namespace {

int32_t bundle_assoc(const std::vector<uint8_t>& b) {
  ToApp h;
  if (b.size() < sizeof h) return 0;
  std::memcpy(&h, b.data(), sizeof h);
  return h.assoc_id;
}

// The unread rest of a bundle the application is part way through: its
// entries from `pos`, the first one less the `partial` bytes already read.
std::vector<uint8_t> unread_rest(const std::vector<uint8_t>& b, size_t pos, size_t partial) {
  ToApp h;
  if (b.size() - pos < sizeof h) return {};
  std::memcpy(&h, b.data() + pos, sizeof h);
  std::vector<uint8_t> out(b.size() - pos - partial);
  h.len -= static_cast<uint32_t>(partial);
  std::memcpy(out.data(), &h, sizeof h);
  std::memcpy(out.data() + sizeof h, b.data() + pos + sizeof h + partial, out.size() - sizeof h);
  return out;
}

}  // namespace

std::deque<std::vector<uint8_t>> Socket::take_queued(int fd, int32_t id) {
  std::deque<std::vector<uint8_t>> mine, others;
  for (bool front = true;; front = false) {
    // Each pair message is one bundle, of one association (pair_message.hpp).
    ssize_t size = sys::recv(fd, nullptr, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
    if (size <= 0) break;
    std::vector<uint8_t> b(static_cast<size_t>(size));
    if (sys::recv(fd, b.data(), b.size(), MSG_DONTWAIT) != size) break;
    const bool ours = bundle_assoc(b) == id;
    if (front && rx_pos_ < rx_bundle_.size()) {  // the bundle recvmsg is part way through
      if (!ours) {
        others.push_back(std::move(b));  // still the front one, so rx_bundle_ stays valid
        continue;
      }
      b = unread_rest(rx_bundle_, rx_pos_, partial_off_);
      rx_bundle_.clear();
      rx_pos_ = partial_off_ = 0;
    }
    (ours ? mine : others).push_back(std::move(b));
  }
  // Back in the pair, in order. They fit: they were all in it a moment ago.
  for (const auto& b : others)
    if (sys::send(engine_fd, b.data(), b.size(), MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
      SCTPMAP_LOG(kWarn, "peeloff: a message of another association could not be put back: %s", strerror(errno));
  return mine;
}

int Socket::peeloff(int fd, int32_t id, int flags, std::shared_ptr<Socket>* out) {
  if (!one_to_many()) return -EINVAL;  // Linux: one-to-one sockets have nothing to peel
  if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) return -EINVAL;
  AssocInfo info;
  {
    std::lock_guard lock(mu);
    auto it = assocs.find(id);
    if (it == assocs.end() || (it->second.phase != Phase::kEstablished && it->second.phase != Phase::kShutdown))
      return -EINVAL;
    info = it->second;
  }
  int sv[2];
  if (sys::socketpair(AF_UNIX, SOCK_SEQPACKET | ((flags & SOCK_CLOEXEC) ? SOCK_CLOEXEC : 0), 0, sv) < 0) return -errno;
  sys::fcntl(sv[1], F_SETFD, FD_CLOEXEC);
  own_fd(sv[1]);
  if (flags & SOCK_NONBLOCK) sys::fcntl(sv[0], F_SETFL, O_NONBLOCK | O_RDWR);
  size_pair(sv[0]);
  size_pair(sv[1]);
  std::shared_ptr<Socket> peeled(new Socket(domain, SOCK_STREAM, sv[1], id, info.doorbell));
  {
    std::lock_guard lock(mu);
    peeled->opts = opts;
    copy_assoc_values(peeled->opts, info.opts);  // what the association has of its own
    peeled->nodelay.store(opts.nodelay, std::memory_order_relaxed);
    peeled->pd_point.store(opts.pd_point, std::memory_order_relaxed);
    peeled->fragment_interleave.store(opts.fragment_interleave, std::memory_order_relaxed);
    peeled->local = info.local;
  }
  peeled->events_.store(info.doorbell->events.load());
  peeled->phase = info.phase;
  peeled->peer = info.peer;
  peeled->outbound_streams = info.outbound_streams;
  peeled->inbound_streams = info.inbound_streams;
  // Readers of this socket wait outside rx_mu_ (recvmsg), so this does not
  // wait for a message to come; it keeps them off the pair while it is sorted.
  std::lock_guard rx_lock(rx_mu_);
  // The move happens on the engine, in one step: what the application sends
  // on the new fd from now on finds the association there, and no Conn of
  // this socket writes to its pair meanwhile (they all share tx_mu).
  bool moved = false;
  auto self = shared_from_this();
  engine::Reactor::instance().call([&] {
    std::lock_guard lock(tx_mu);
    Conn* c = conn_for(id);
    if (!c) return;
    hub->flush_app_messages();  // what the application sent it so far goes first
    if (conn_for(id) != c) return;  // it ended meanwhile
    std::lock_guard peeled_lock(peeled->tx_mu);
    c->move_to(peeled, take_queued(fd, id));
    moved = true;
  });
  if (!moved) {
    sys::close(sv[0]);
    close_owned(sv[1]);
    return -EINVAL;
  }
  {
    std::lock_guard lock(mu);
    assocs[id].phase = Phase::kClosed;  // no longer this socket's
    forget_ended_assocs();
  }
  *out = std::move(peeled);
  return sv[0];
}

}  // namespace sctpmap::socket
