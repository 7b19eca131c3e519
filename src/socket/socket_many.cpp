// SPDX-License-Identifier: MIT
// One-to-many (SOCK_SEQPACKET) sockets, application side: listen, connect,
// sends that pick or set up their association, and the association registry
// (RFC 6458 section 3; Linux's semantics and errno values).
//
// Every association of the socket is its own TCP connection. They all share
// the socket's port, as with SCTP (an unbound socket gets one at its first
// listen or association, as Linux autobinds): the TCP sockets set
// SO_REUSEPORT, so outgoing connections bind the port the socket listens on
// and the peer sees the same port for every association
// (Socket::share_local_port).
#include <fcntl.h>
#include <netinet/in.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>

#include "common/log.hpp"
#include "common/sys.hpp"
#include "engine/reactor.hpp"
#include "socket/addr.hpp"
#include "socket/conn.hpp"
#include "socket/engine_fds.hpp"
#include "socket/hub.hpp"
#include "socket/sctp_uapi.hpp"
#include "socket/socket.hpp"

namespace sctpmap::socket {
namespace {

// Ended associations whose peer address recvmsg() may still need for
// messages queued before the end; the oldest beyond this are forgotten.
constexpr size_t kEndedKept = 1024;

bool live(Phase p) { return p == Phase::kConnecting || p == Phase::kEstablished || p == Phase::kShutdown; }

}  // namespace

int32_t Socket::find_assoc(const sockaddr_storage& addr) const {
  for (const auto& [id, a] : assocs)
    if (live(a.phase) && same_addr(a.peer, addr)) return id;
  return 0;
}

void Socket::update_assoc(int32_t id, Phase ph, int error) {
  {
    std::lock_guard lock(mu);
    auto it = assocs.find(id);
    if (it == assocs.end()) return;
    if (ph == Phase::kShutdown && it->second.phase != Phase::kEstablished) return;
    SCTPMAP_LOG(kDebug, "one-to-many socket: association %d phase %d -> %d (error %d)", id,
                static_cast<int>(it->second.phase), static_cast<int>(ph), error);
    it->second.phase = ph;
    if (error) it->second.error = error;
    if (ph == Phase::kClosed) forget_ended_assocs();
  }
  assoc_cv.notify_all();
}

void Socket::forget_ended_assocs() {
  size_t ended = 0;
  for (const auto& [id, a] : assocs) ended += a.phase == Phase::kClosed;
  for (auto it = assocs.begin(); ended > kEndedKept && it != assocs.end();) {
    if (it->second.phase == Phase::kClosed) {
      it = assocs.erase(it);  // ids grow, so the map's front holds the oldest
      --ended;
    } else {
      ++it;
    }
  }
}

int32_t Socket::start_assoc(const sockaddr_storage& addr) {
  if (int rc = share_local_port()) return rc;
  int fd = sys::socket(domain, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return -errno;
  own_fd(fd);
  const socklen_t alen = addr_len(domain);
  if (share_port) {  // the socket's port (Socket::share_local_port)
    int on = 1;
    sys::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
    sockaddr_storage me = local;
    sys::bind(fd, reinterpret_cast<sockaddr*>(&me), alen);
  }
  if (sys::connect(fd, reinterpret_cast<const sockaddr*>(&addr), alen) < 0 && errno != EINPROGRESS) {
    int err = errno;
    close_owned(fd);
    return -err;
  }
  const int32_t id = next_assoc_id();
  SCTPMAP_LOG(kDebug, "one-to-many socket: association %d starting (%zu known)", id, assocs.size());
  assocs[id] = new_assoc(addr);
  auto self = shared_from_this();
  engine::Reactor::instance().post([self, fd, id] {
    std::lock_guard lock(self->tx_mu);
    auto* c = new Conn(self, fd, true, nullptr, Hub::of(self), id);
    c->begin();
  });
  return id;
}

int Socket::listen_many(int backlog) {
  std::vector<int> fds;
  {
    std::lock_guard lock(mu);
    if (backlog == 0) {  // Linux: listen(0) on a one-to-many socket stops accepting
      if (phase != Phase::kListening) return 0;
      phase = Phase::kFresh;
      auto self = shared_from_this();
      engine::Reactor::instance().post([self] {
        std::lock_guard l(self->tx_mu);
        if (self->hub) self->hub->stop_listening();
      });
      return 0;
    }
    if (phase == Phase::kListening) return 0;
    if (int rc = share_local_port()) return rc;
    if (int rc = start_listening(backlog, &fds)) return rc;
  }
  auto self = shared_from_this();
  engine::Reactor::instance().post([self, fds] {
    std::lock_guard lock(self->tx_mu);
    Hub::of(self)->listen(fds);
  });
  return 0;
}

int Socket::connect_many(int fd, const sockaddr* addr, socklen_t len) {
  if (int rc = check_addr(domain, addr, len)) return rc;
  const sockaddr_storage a = to_domain(domain, addr);
  std::unique_lock lock(mu);
  if (int32_t id = find_assoc(a)) return assocs[id].phase == Phase::kConnecting ? -EALREADY : -EISCONN;
  const int32_t id = start_assoc(a);
  if (id < 0) return id;
  last_connect_id = id;
  if (sys::fcntl(fd, F_GETFL) & O_NONBLOCK) return -EINPROGRESS;
  assoc_cv.wait(lock, [&] {
    auto it = assocs.find(id);
    return it == assocs.end() || it->second.phase != Phase::kConnecting;
  });
  auto it = assocs.find(id);
  if (it != assocs.end() && (it->second.phase == Phase::kEstablished || it->second.phase == Phase::kShutdown)) return 0;
  const int err = it != assocs.end() && it->second.error ? it->second.error : ECONNREFUSED;
  return -err;
}

// Picks the association a message goes to (msg_name, else sinfo_assoc_id),
// setting one up for an unknown address as RFC 6458 3.1.3 allows; then sends
// as for one-to-one. SCTP_SENDALL sends a copy on every association.
ssize_t Socket::sendmsg_many(int fd, const msghdr* msg, int flags, SendParams p, size_t len) {
  if (p.flags & SCTP_SENDALL) {
    std::vector<int32_t> ids;
    {
      std::lock_guard lock(mu);
      for (const auto& [id, a] : assocs)
        if (a.phase == Phase::kEstablished) ids.push_back(id);
    }
    p.flags &= ~SCTP_SENDALL;
    for (int32_t id : ids) {
      p.assoc_id = id;
      msghdr m = *msg;
      m.msg_name = nullptr;
      m.msg_namelen = 0;
      ssize_t n = sendmsg_many(fd, &m, flags, p, len);
      if (n < 0 && n != -EPIPE) return n;
    }
    return static_cast<ssize_t>(len);
  }
  int32_t id = 0;
  {
    std::lock_guard lock(mu);
    if (msg->msg_name && msg->msg_namelen > 0) {
      if (int rc = check_addr(domain, static_cast<const sockaddr*>(msg->msg_name), msg->msg_namelen)) return rc;
      const sockaddr_storage dest = to_domain(domain, static_cast<const sockaddr*>(msg->msg_name));
      id = find_assoc(dest);
      if (id == 0) {
        if (p.flags & (SCTP_EOF | SCTP_ABORT)) return -EINVAL;  // nothing to end
        id = start_assoc(dest);
        if (id < 0) return id;
      }
    } else {
      id = p.assoc_id;
    }
    auto it = assocs.find(id);
    if (it == assocs.end() || it->second.phase == Phase::kClosed || it->second.phase == Phase::kShutdown ||
        write_shut) {
      if (!(flags & MSG_NOSIGNAL)) raise(SIGPIPE);
      return -EPIPE;
    }
    const AssocInfo& a = it->second;
    if (!p.given) {  // Linux: the association's defaults (SCTP_DEFAULT_SEND_PARAM with its id)
      p = SendParams::of(a.opts.default_send);
    }
    if (a.phase == Phase::kEstablished && p.sid >= a.outbound_streams) return -EINVAL;
    if (len > message_limit(a.max_message)) return -EMSGSIZE;
  }
  p.assoc_id = id;
  return send_to_engine(fd, msg, flags, p, len);
}

}  // namespace sctpmap::socket
