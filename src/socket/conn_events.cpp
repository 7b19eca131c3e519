// SPDX-License-Identifier: MIT
// Conn: association events -> notifications, accept hand-off, teardown.
#include <arpa/inet.h>

#include <cerrno>
#include <cstring>

#include "common/log.hpp"
#include "common/sys.hpp"
#include "socket/conn.hpp"
#include "socket/engine_fds.hpp"
#include "socket/listener.hpp"
#include "socket/notify.hpp"

namespace sctpmap::socket {
namespace {

template <class... Fs>
struct Overloaded : Fs... {
  using Fs::operator()...;
};
template <class... Fs>
Overloaded(Fs...) -> Overloaded<Fs...>;

int loss_errno(assoc::LossReason r) {
  return r == assoc::LossReason::kHeartbeatTimeout ? ETIMEDOUT : ECONNRESET;
}

const char* loss_name(assoc::LossReason r) {
  switch (r) {
    case assoc::LossReason::kPeerReset: return "peer reset the connection";
    case assoc::LossReason::kHeartbeatTimeout: return "heartbeats unanswered";
    case assoc::LossReason::kProtocolError: return "protocol error";
    case assoc::LossReason::kTransportError: return "transport error";
    case assoc::LossReason::kLocalAbort: return "aborted locally";
    case assoc::LossReason::kPeerClosedUnacked: return "peer closed with our messages un-ACKed";
  }
  return "?";
}

std::string describe(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof host);
    port = ntohs(a->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof host);
    port = ntohs(a->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

}  // namespace

void Conn::handle_events(Instant) {
  while (auto ev = assoc_.poll_event()) {
    std::visit(Overloaded{
                   [&](const assoc::CommUp& u) { on_comm_up(u); },
                   [&](const assoc::CantStart&) {
                     lost_ = true;
                     sock_->set_failed(ECONNREFUSED, Phase::kClosed);
                     notify(SCTP_ASSOC_CHANGE, make_assoc_change(SCTP_CANT_STR_ASSOC, 0, 0, 0, sock_->assoc_id));
                   },
                   [&](const assoc::CommLost& l) {
                     sockaddr_storage peer;
                     {
                       std::lock_guard lock(sock_->mu);
                       peer = sock_->peer;
                     }
                     if (l.reason == assoc::LossReason::kProtocolError) {
                       SCTPMAP_LOG(kWarn, "assoc %d with %s: protocol error: %s; resetting the connection",
                                   sock_->assoc_id, describe(peer).c_str(), wire::to_string(l.error));
                     } else {
                       SCTPMAP_LOG(kInfo, "assoc %d with %s: communication lost: %s", sock_->assoc_id,
                                   describe(peer).c_str(), loss_name(l.reason));
                     }
                     lost_ = true;
                     reset_on_close_ = l.reason == assoc::LossReason::kProtocolError ||
                                       l.reason == assoc::LossReason::kLocalAbort;
                     sock_->set_failed(loss_errno(l.reason), Phase::kClosed);
                     notify(SCTP_ASSOC_CHANGE, make_assoc_change(SCTP_COMM_LOST, 0, 0, 0, sock_->assoc_id));
                   },
                   [&](const assoc::PeerShutdown&) {
                     {
                       std::lock_guard lock(sock_->mu);
                       if (sock_->phase == Phase::kEstablished) sock_->phase = Phase::kShutdown;
                     }
                     notify(SCTP_SHUTDOWN_EVENT, make_shutdown_event(sock_->assoc_id));
                   },
                   [&](const assoc::ShutdownComplete&) {
                     {
                       std::lock_guard lock(sock_->mu);
                       sock_->phase = Phase::kClosed;
                     }
                     notify(SCTP_ASSOC_CHANGE, make_assoc_change(SCTP_SHUTDOWN_COMP, 0, 0, 0, sock_->assoc_id));
                   },
                   [&](assoc::SendFailed& f) {
                     f.message.ppid = htonl(f.message.ppid);
                     bool new_style = (sock_->events() & event_bit(SCTP_SEND_FAILED_EVENT)) != 0;
                     notify(new_style ? SCTP_SEND_FAILED_EVENT : SCTP_SEND_FAILED,
                            make_send_failed(f.message, f.was_sent, new_style, sock_->assoc_id));
                   },
               },
               *ev);
  }
}

void Conn::on_comm_up(const assoc::CommUp& u) {
  up_ = true;
  sockaddr_storage local{}, peer{};
  socklen_t l1 = sizeof local, l2 = sizeof peer;
  sys::getsockname(tcp_, reinterpret_cast<sockaddr*>(&local), &l1);
  sys::getpeername(tcp_, reinterpret_cast<sockaddr*>(&peer), &l2);
  sock_->set_established(u.outbound_streams, u.inbound_streams, local, peer);
  notify(SCTP_ASSOC_CHANGE,
         make_assoc_change(SCTP_COMM_UP, 0, u.outbound_streams, u.inbound_streams, sock_->assoc_id));
  pair_in_ = reactor_.watch(pair_, POLLIN | POLLRDHUP, &pair_in_port_, true);
  sock_->direct = this;
  if (listener_) hand_to_listener();
  // A connect()ing application may already have queued messages behind its filler.
  read_pair(reactor_.now());
}

void Conn::hand_to_listener() {
  Listener* l = listener_->listener;
  listener_.reset();
  if (!l) {
    abort_local();  // the listening socket is gone: nobody will accept this association
    return;
  }
  l->offer(sock_);
}

void Conn::notify(uint16_t sn_type, std::vector<uint8_t> body) {
  if (!(sock_->events() & event_bit(sn_type))) return;
  ToApp h;
  h.kind = ToAppKind::kNotification;
  h.assoc_id = sock_->assoc_id;
  queue_to_app(h, body);
}

// A bundle of one entry, behind everything already queued for the application.
void Conn::queue_to_app(ToApp hdr, const std::vector<uint8_t>& body) {
  hdr.len = static_cast<uint32_t>(body.size());
  std::vector<uint8_t> msg(sizeof hdr + body.size());
  std::memcpy(msg.data(), &hdr, sizeof hdr);
  if (!body.empty()) std::memcpy(msg.data() + sizeof hdr, body.data(), body.size());
  backlog_.push_back(std::move(msg));
  flush_backlog();
}

// Returns true when the backlog is empty.
bool Conn::flush_backlog() {
  while (!backlog_.empty()) {
    const auto& m = backlog_.front();
    ssize_t n = sys::send(pair_, m.data(), m.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
      arm_pair_out();
      return false;
    }
    if (n < 0) SCTPMAP_LOG(kWarn, "assoc %d: notification to the application dropped: %s", sock_->assoc_id, strerror(errno));
    backlog_.pop_front();  // sent, or the application has gone: drop
  }
  if (finished_ && !deleting_) {
    deleting_ = true;
    close_owned(pair_);
    sock_->engine_fd_closed = true;
    reactor_.post([this] { delete this; });
  }
  return true;
}

void Conn::on_ended(int error, uint16_t sac_state) {
  lost_ = true;
  sock_->set_failed(error, Phase::kClosed);
  notify(SCTP_ASSOC_CHANGE, make_assoc_change(sac_state, 0, 0, 0, sock_->assoc_id));
  finish();
}

void Conn::abort_local() {
  Instant now = reactor_.now();
  assoc_.abort(now);
  reset_on_close_ = true;
  pump(now);
}

// Messages the application wrote that never reached the association come
// back as SCTP_DATA_UNSENT, after those the association returned.
void Conn::report_unsent(assoc::Message& m) {
  bool new_style = (sock_->events() & event_bit(SCTP_SEND_FAILED_EVENT)) != 0;
  m.ppid = htonl(m.ppid);
  notify(new_style ? SCTP_SEND_FAILED_EVENT : SCTP_SEND_FAILED, make_send_failed(m, false, new_style, sock_->assoc_id));
}

void Conn::fail_unsent_from_pair() {
  auto fail = [&](assoc::Message& m) { report_unsent(m); };
  for (auto& m : held_) fail(m);
  held_.clear();
  if (!up_ || pair_eof_) return;
  std::vector<uint8_t>& scratch = shared_scratch();
  for (;;) {
    ToEngine h;
    iovec iov[2] = {{&h, sizeof h}, {scratch.data(), scratch.size()}};
    msghdr m{};
    m.msg_iov = iov;
    m.msg_iovlen = 2;
    ssize_t n = sys::recvmsg(pair_, &m, MSG_DONTWAIT);
    if (n < 0 && (errno == ECONNRESET || errno == EINTR)) continue;  // see Conn::read_pair
    if (n <= 0) break;
    if (h.kind != ToEngineKind::kData) continue;
    assoc::Message msg = app_message(h, scratch.data(), static_cast<size_t>(n) - sizeof h);
    fail(msg);
  }
}

void Conn::finish() {
  if (finished_) return;
  if (lost_) fail_unsent_from_pair();
  finished_ = true;
  unregister();
  for (engine::Watch** w : {&tcp_in_, &tcp_out_, &pair_in_, &pair_out_}) {
    reactor_.cancel(*w);
    *w = nullptr;
  }
  if (timer_token_) reactor_.cancel_timer(timer_token_);
  if (guard_token_) reactor_.cancel_timer(guard_token_);
  timer_token_ = guard_token_ = 0;
  if (reset_on_close_) {
    linger lg{1, 0};
    sys::setsockopt(tcp_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  close_owned(tcp_);
  sock_->conn = nullptr;
  sock_->direct = nullptr;
  if (listener_ && sock_->accept_app_fd >= 0) {  // died before COMM_UP: nobody will accept it
    close_owned(sock_->accept_app_fd);
    sock_->accept_app_fd = -1;
  }
  flush_backlog();  // closes the pair and deletes this once the application has everything
}

}  // namespace sctpmap::socket
