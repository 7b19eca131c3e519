// SPDX-License-Identifier: MIT
#include "socket/hub.hpp"

#include <arpa/inet.h>

#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "common/sys.hpp"
#include "socket/conn.hpp"
#include "socket/engine_fds.hpp"
#include "socket/notify.hpp"
#include "socket/socket.hpp"

namespace sctpmap::socket {
namespace {

constexpr size_t kPairMessageMax = 65536 + sizeof(ToEngine);
// Messages read from the pair per turn before other work gets a go.
constexpr int kReadBudget = 256;

std::vector<uint8_t>& scratch() {
  static auto* b = new std::vector<uint8_t>(kPairMessageMax);  // reactor thread only
  return *b;
}

}  // namespace

Hub* Hub::of(const std::shared_ptr<Socket>& sock) {
  if (!sock->hub) {
    auto* h = new Hub(sock);
    sock->hub = h;
    h->pair_in_ = h->reactor_.watch(h->pair_, POLLIN | POLLRDHUP, h, true);
  }
  return sock->hub;
}

Hub::Hub(std::shared_ptr<Socket> sock)
    : sock_(std::move(sock)), pair_(sock_->engine_fd), reactor_(engine::Reactor::instance()) {}

void Hub::listen(const std::vector<int>& fds) {
  stop_listening();
  for (int fd : fds) {
    listen_fds_.push_back(fd);
    listen_ins_.push_back(reactor_.watch(fd, POLLIN, &listen_port_, true));
  }
}

void Hub::stop_listening() {
  for (engine::Watch*& w : listen_ins_) reactor_.cancel(w);
  for (int fd : listen_fds_) close_owned(fd);
  listen_ins_.clear();
  listen_fds_.clear();
}

void Hub::attach(Conn* c) {
  conns_[c->assoc_id()] = c;
  auto it = pending_.find(c->assoc_id());
  if (it != pending_.end()) {
    std::deque<Pending> waiting = std::move(it->second);
    pending_.erase(it);
    for (const Pending& p : waiting) c->take_from_hub(p.hdr, p.data.data(), p.data.size(), reactor_.now());
  }
  // Set up by a send just before the application closed the socket: it
  // still delivers what it was given, then shuts down.
  if (app_closed_) c->app_closed(reactor_.now());
}

void Hub::detach(Conn* c) {
  conns_.erase(c->assoc_id());
  if (blocked_ == c) {
    blocked_ = nullptr;
    reactor_.post([s = sock_] {
      std::lock_guard lock(s->tx_mu);
      if (s->hub) s->hub->read_pair(s->hub->reactor_.now());
    });
  }
  maybe_finish();
}

Conn* Hub::find(int32_t id) const {
  auto it = conns_.find(id);
  return it == conns_.end() ? nullptr : it->second;
}

void Hub::resume(Conn* c) {
  if (blocked_ != c) return;
  blocked_ = nullptr;
  read_pair(reactor_.now());
}

void Hub::pd_end(Conn* c) {
  if (pd_owner_ != c) return;
  pd_owner_ = nullptr;
  if (pd_waiting_.empty() && lobby_.empty()) return;
  // Not from here: `c` is in the middle of its own receive path, whose
  // buffers the waiting Conns would reuse.
  reactor_.post([s = sock_] {
    std::lock_guard lock(s->tx_mu);
    if (s->hub) s->hub->open_gate();
  });
}

// Each waiting Conn writes what it holds and reads on; one of them may take
// the gate itself, and the rest then wait on.
void Hub::open_gate() {
  while (!pd_owner_ && !lobby_.empty()) {
    ToApp a;
    std::memcpy(&a, lobby_.front().data(), sizeof a);
    write_notification(a, lobby_.front().data() + sizeof a);
    lobby_.pop_front();
  }
  while (!pd_owner_ && !pd_waiting_.empty()) {
    Conn* c = pd_waiting_.front();
    pd_waiting_.erase(pd_waiting_.begin());
    c->gate_opened(reactor_.now());
  }
}

void Hub::forget(Conn* c) {
  std::erase(pd_waiting_, c);
  pd_end(c);
}

void Hub::on_ready(int, uint32_t) {
  std::lock_guard lock(sock_->tx_mu);
  read_pair(reactor_.now());
}

void Hub::ListenPort::on_ready(int fd, uint32_t) {
  std::lock_guard lock(hub->sock_->tx_mu);
  hub->accept_all(fd);
}

void Hub::exit_drain(Instant now) {
  if (exiting_) return;
  exiting_ = true;
  read_pair(now);  // at exit the process never closes its fds: an emptied pair is its close()
}

void Hub::read_pair(Instant now) {
  std::vector<uint8_t>& buf = scratch();
  for (int i = 0; !app_closed_ && !blocked_; ++i) {
    if (i == kReadBudget) {
      reactor_.post([s = sock_] {  // fairness; the poll may not fire again
        std::lock_guard lock(s->tx_mu);
        if (s->hub) s->hub->read_pair(s->hub->reactor_.now());
      });
      return;
    }
    ToEngine h;
    ssize_t n = recv_app_message(pair_, &h, buf);
    if (n < 0) {
      if (errno == EINTR || errno == ECONNRESET) continue;  // see Conn::read_pair
      if (errno != EAGAIN) SCTPMAP_LOG(kWarn, "one-to-many socket: reading from the application failed: %s", strerror(errno));
      if (exiting_ && errno == EAGAIN) app_closed(now);
      return;
    }
    if (n == 0) {
      app_closed(now);
      return;
    }
    if (static_cast<size_t>(n) < sizeof h) continue;
    if (h.kind != ToEngineKind::kData) continue;
    sock_->pair_data_queued.fetch_sub(1);
    dispatch(h, buf.data(), static_cast<size_t>(n) - sizeof h, now);
  }
}

void Hub::dispatch(const ToEngine& h, const uint8_t* data, size_t len, Instant now) {
  if (Conn* c = find(h.assoc_id)) {
    if (c->take_from_hub(h, data, len, now) == Conn::Take::kBlocked) blocked_ = c;
    return;
  }
  bool starting;
  {
    std::lock_guard lock(sock_->mu);
    auto it = sock_->assocs.find(h.assoc_id);
    starting = it != sock_->assocs.end() && it->second.phase == Phase::kConnecting;
  }
  if (starting) {  // its Conn is being created by a task behind this read
    pending_[h.assoc_id].push_back(Pending{h, std::vector<uint8_t>(data, data + len)});
    return;
  }
  fail_unsent(h, data, len);
}

// A message for an association that ended while it sat in the pair comes
// back as SEND_FAILED (SCTP_DATA_UNSENT), as the Conn would have reported it.
void Hub::fail_unsent(const ToEngine& h, const uint8_t* data, size_t len) {
  if (h.flags & (SCTP_EOF | SCTP_ABORT)) return;
  const bool new_style = (sock_->events() & event_bit(SCTP_SEND_FAILED_EVENT)) != 0;
  if (!new_style && !(sock_->events() & event_bit(SCTP_SEND_FAILED))) return;
  assoc::Message m;
  m.sid = h.sid;
  m.ppid = h.ppid;  // already in the user's byte order
  m.flags = h.flags;
  m.context = h.context;
  m.payload.assign(data, data + len);
  std::vector<uint8_t> body = make_send_failed(m, false, new_style, h.assoc_id);
  ToApp a;
  a.kind = ToAppKind::kNotification;
  a.assoc_id = h.assoc_id;
  a.len = static_cast<uint32_t>(body.size());
  if (pd_owner_) {  // not between the pieces of another association's message
    lobby_.push_back(pair_entry(a, body));
    return;
  }
  write_notification(a, body.data());
}

void Hub::write_notification(const ToApp& a, const uint8_t* body) {
  iovec iov[2] = {{const_cast<ToApp*>(&a), sizeof a}, {const_cast<uint8_t*>(body), a.len}};
  msghdr mh{};
  mh.msg_iov = iov;
  mh.msg_iovlen = 2;
  if (sys::sendmsg(pair_, &mh, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
    SCTPMAP_LOG(kWarn, "assoc %d: SEND_FAILED for a message to an ended association dropped: %s", a.assoc_id,
                strerror(errno));
}

void Hub::accept_all(int listen_fd) {
  for (int i = 0; i < 64 && !listen_fds_.empty(); ++i) {
    sockaddr_storage peer{};
    socklen_t plen = sizeof peer;
    int fd = sys::accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &plen, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
        SCTPMAP_LOG(kWarn, "accept on a one-to-many socket failed: %s", strerror(errno));
      return;
    }
    own_fd(fd);
    int32_t id = next_assoc_id();
    {
      std::lock_guard lock(sock_->mu);
      sock_->assocs[id] = sock_->new_assoc(peer);
    }
    auto* c = new Conn(sock_, fd, false, nullptr, this, id);
    c->begin();
  }
}

void Hub::app_closed(Instant now) {
  app_closed_ = true;
  std::vector<Conn*> all;
  for (auto& [id, c] : conns_) all.push_back(c);
  for (Conn* c : all)
    if (find(c->assoc_id()) == c) c->app_closed(now);
  maybe_finish();
}

void Hub::maybe_finish() {
  if (!app_closed_ || !conns_.empty() || deleting_) return;
  {
    // An association whose Conn a task is still creating will attach.
    std::lock_guard lock(sock_->mu);
    for (const auto& [id, a] : sock_->assocs)
      if (a.phase == Phase::kConnecting && !find(id)) return;
  }
  deleting_ = true;
  // Ended associations still waiting to write for the application, which
  // has closed the socket: nothing is left to wait for.
  std::vector<Conn*> waiting = std::move(pd_waiting_);
  pd_waiting_.clear();
  pd_owner_ = nullptr;
  lobby_.clear();
  sock_->hub = nullptr;
  for (Conn* c : waiting) c->app_gone();
  stop_listening();
  reactor_.cancel(pair_in_);
  pair_in_ = nullptr;
  close_owned(pair_);
  sock_->engine_fd_closed = true;
  sock_->hub = nullptr;
  reactor_.post([this] { delete this; });
}

}  // namespace sctpmap::socket
