// SPDX-License-Identifier: MIT
#include "socket/listener.hpp"

#include <cerrno>
#include <cstring>
#include <mutex>
#include <unordered_map>

#include "common/log.hpp"
#include "common/sys.hpp"
#include "socket/conn.hpp"
#include "socket/engine_fds.hpp"

namespace sctpmap::socket {
namespace {

// Sockets whose fd is in flight to an accept() call, by the id in the message.
struct PendingAccepts {
  std::mutex mu;
  std::unordered_map<uint64_t, std::shared_ptr<Socket>> map;
  uint64_t next = 1;
};

PendingAccepts& pending() {
  static auto* p = new PendingAccepts();  // leaked: accept() may run during exit
  return *p;
}

uint64_t register_pending(std::shared_ptr<Socket> s) {
  auto& p = pending();
  std::lock_guard lock(p.mu);
  uint64_t id = p.next++;
  p.map.emplace(id, std::move(s));
  return id;
}

void unregister_pending(uint64_t id) {
  auto& p = pending();
  std::lock_guard lock(p.mu);
  p.map.erase(id);
}

}  // namespace

std::shared_ptr<Socket> take_accepted(uint64_t id) {
  auto& p = pending();
  std::lock_guard lock(p.mu);
  auto it = p.map.find(id);
  if (it == p.map.end()) return nullptr;
  auto s = std::move(it->second);
  p.map.erase(it);
  return s;
}

Listener::Listener(std::shared_ptr<Socket> sock, std::vector<int> tcp_listen_fds)
    : sock_(std::move(sock)),
      tcps_(std::move(tcp_listen_fds)),
      pair_(sock_->engine_fd),
      reactor_(engine::Reactor::instance()) {
  sock_->listener = this;
}

void Listener::begin() {
  for (int fd : tcps_) tcp_ins_.push_back(reactor_.watch(fd, POLLIN, this, true));
  pair_in_ = reactor_.watch(pair_, POLLIN | POLLRDHUP, &pair_port_, true);
}

void Listener::on_ready(int fd, uint32_t) { accept_all(fd); }

void Listener::Port::on_ready(int, uint32_t revents) {
  if (this == &l->pair_out_port_) {
    l->pair_out_ = nullptr;
    l->flush();
    return;
  }
  // The application never writes to a listening socket: readable means EOF.
  if (revents & (POLLIN | POLLHUP | POLLRDHUP | POLLERR)) l->close_all();
}

void Listener::accept_all(int listen_fd) {
  for (int i = 0; i < 64 && !closed_; ++i) {
    int fd = sys::accept4(listen_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
        SCTPMAP_LOG(kWarn, "accept on listening socket failed: %s", strerror(errno));
      return;
    }
    own_fd(fd);
    int sv[2];
    if (sys::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
      SCTPMAP_LOG(kWarn, "socketpair for an accepted association failed: %s", strerror(errno));
      close_owned(fd);
      continue;
    }
    own_fd(sv[0]);
    own_fd(sv[1]);
    auto child = Socket::make_accepted(*sock_, sv[0], sv[1]);
    auto* c = new Conn(child, fd, false, sock_);
    std::lock_guard lock(child->tx_mu);
    c->begin();
  }
}

void Listener::offer(std::shared_ptr<Socket> accepted) {
  if (closed_) return;
  ready_.push_back(std::move(accepted));
  flush();
}

void Listener::flush() {
  while (!ready_.empty() && !closed_) {
    auto& s = ready_.front();
    ToApp h;
    h.kind = ToAppKind::kAccept;
    h.assoc_id = s->assoc_id;
    h.accept_id = register_pending(s);
    iovec iov{&h, sizeof h};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    std::memcpy(CMSG_DATA(c), &s->accept_app_fd, sizeof(int));
    if (sys::sendmsg(pair_, &m, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
      unregister_pending(h.accept_id);
      if (errno == EAGAIN || errno == ENOBUFS) {
        if (!pair_out_) pair_out_ = reactor_.watch(pair_, POLLOUT, &pair_out_port_, false);
        return;
      }
      close_all();
      return;
    }
    // The fd now lives in the message; ours is no longer needed.
    close_owned(s->accept_app_fd);
    s->accept_app_fd = -1;
    ready_.pop_front();
  }
}

void Listener::close_all() {
  if (closed_) return;
  closed_ = true;
  for (engine::Watch*& w : tcp_ins_) reactor_.cancel(w);
  tcp_ins_.clear();
  reactor_.cancel(pair_in_);
  reactor_.cancel(pair_out_);
  pair_in_ = pair_out_ = nullptr;
  for (int fd : tcps_) close_owned(fd);
  tcps_.clear();
  // Associations that reached COMM_UP but were never handed over: closing
  // their application end makes their Conn shut them down gracefully.
  for (auto& s : ready_) {
    close_owned(s->accept_app_fd);
    s->accept_app_fd = -1;
  }
  ready_.clear();
  close_owned(pair_);
  sock_->engine_fd_closed = true;
  sock_->listener = nullptr;
  reactor_.post([this] { delete this; });
}

}  // namespace sctpmap::socket
