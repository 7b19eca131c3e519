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

// Linux's enum sctp_sn_error, the spc_error of SCTP_PEER_ADDR_CHANGE.
int sn_error(assoc::PathReason r) {
  switch (r) {
    case assoc::PathReason::kFailedThreshold: return SCTP_FAILED_THRESHOLD;
    case assoc::PathReason::kReceivedAck: return SCTP_RECEIVED_SACK;
    case assoc::PathReason::kHeartbeatSuccess: return SCTP_HEARTBEAT_SUCCESS;
  }
  return 0;
}

}  // namespace

sockaddr_storage Conn::peer_addr() const {
  std::lock_guard lock(sock_->mu);
  if (shared_pair_) return sock_->assocs[assoc_id_].peer;
  return sock_->peer;
}

// SCTP_SENDER_DRY_EVENT, when nothing of ours is outstanding: messages the
// application wrote that still wait here or in the pair are not sent yet,
// and their own ACK will bring the event.
void Conn::notify_dry() {
  // The subscription first: this runs on every ACK that empties the queue.
  if (!(events() & event_bit(SCTP_SENDER_DRY_EVENT)) || !assoc_.dry() || pair_waiting()) return;
  notify(SCTP_SENDER_DRY_EVENT, make_sender_dry(assoc_id_));
}

void Conn::handle_events(Instant) {
  while (auto ev = assoc_.poll_event()) {
    std::visit(Overloaded{
                   [&](const assoc::CommUp& u) { on_comm_up(u); },
                   [&](const assoc::CantStart&) {
                     lost_ = true;
                     set_phase(Phase::kClosed, ECONNREFUSED);
                     notify(SCTP_ASSOC_CHANGE, make_assoc_change(SCTP_CANT_STR_ASSOC, 0, 0, 0, assoc_id_));
                   },
                   [&](const assoc::CommLost& l) {
                     const sockaddr_storage peer = peer_addr();
                     if (l.reason == assoc::LossReason::kProtocolError) {
                       SCTPMAP_LOG(kWarn, "assoc %d with %s: protocol error: %s; resetting the connection",
                                   assoc_id_, describe(peer).c_str(), wire::to_string(l.error));
                     } else {
                       SCTPMAP_LOG(kInfo, "assoc %d with %s: communication lost: %s", assoc_id_,
                                   describe(peer).c_str(), loss_name(l.reason));
                     }
                     lost_ = true;
                     reset_on_close_ = l.reason == assoc::LossReason::kProtocolError ||
                                       l.reason == assoc::LossReason::kLocalAbort;
                     set_phase(Phase::kClosed, loss_errno(l.reason));
                     notify(SCTP_ASSOC_CHANGE, make_assoc_change(SCTP_COMM_LOST, 0, 0, 0, assoc_id_));
                   },
                   [&](const assoc::PeerShutdown&) {
                     set_phase(Phase::kShutdown, 0);
                     notify(SCTP_SHUTDOWN_EVENT, make_shutdown_event(assoc_id_));
                   },
                   [&](const assoc::ShutdownComplete&) {
                     set_phase(Phase::kClosed, 0);
                     notify(SCTP_ASSOC_CHANGE, make_assoc_change(SCTP_SHUTDOWN_COMP, 0, 0, 0, assoc_id_));
                   },
                   [&](const assoc::SenderDry&) { notify_dry(); },
                   [&](const assoc::Adaptation& a) {
                     notify(SCTP_ADAPTATION_INDICATION, make_adaptation(a.ind, assoc_id_));
                   },
                   [&](const assoc::RemoteError& e) {
                     notify(SCTP_REMOTE_ERROR, make_remote_error(e.cause, e.info, assoc_id_));
                   },
                   [&](const assoc::PathChange& p) {
                     notify(SCTP_PEER_ADDR_CHANGE,
                            make_paddr_change(peer_addr(), p.available ? SCTP_ADDR_AVAILABLE : SCTP_ADDR_UNREACHABLE,
                                              sn_error(p.reason), assoc_id_));
                   },
                   [&](const assoc::PartialDeliveryAborted& a) {
                     notify(SCTP_PARTIAL_DELIVERY_EVENT, make_pdapi_aborted(a.sid, a.ssn, assoc_id_));
                     partial_aborted();
                   },
                   [&](assoc::SendFailed& f) {
                     f.message.ppid = htonl(f.message.ppid);
                     bool new_style = (events() & event_bit(SCTP_SEND_FAILED_EVENT)) != 0;
                     notify(new_style ? SCTP_SEND_FAILED_EVENT : SCTP_SEND_FAILED,
                            make_send_failed(f.message, f.was_sent, new_style, assoc_id_));
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
  PathFigures path;
  tcp_path(&path.cwnd, &path.srtt_ms, &path.mtu);
  if (hub_) {
    {
      std::lock_guard lock(sock_->mu);
      AssocInfo& a = sock_->assocs[assoc_id_];
      a.phase = Phase::kEstablished;
      a.path = path;
      a.outbound_streams = u.outbound_streams;
      a.inbound_streams = u.inbound_streams;
      a.peer = peer;
      a.local = local;
      a.max_message = assoc_.max_message();
    }
    sock_->assoc_cv.notify_all();
    sock_->direct_assocs[assoc_id_] = this;
  } else {
    sock_->set_established(u.outbound_streams, u.inbound_streams, local, peer);
    std::lock_guard lock(sock_->mu);
    sock_->max_message = assoc_.max_message();
    sock_->path = path;
  }
  notify(SCTP_ASSOC_CHANGE,
         make_assoc_change(SCTP_COMM_UP, 0, u.outbound_streams, u.inbound_streams, assoc_id_));
  if (hub_) {
    {
      std::lock_guard lock(sock_->mu);
      autoclose_ = std::chrono::seconds(sock_->opts.autoclose);
    }
    last_data_ = reactor_.now();
    arm_idle(last_data_);
    pull_app(reactor_.now());  // messages the application sent while it came up
    return;
  }
  pair_in_ = reactor_.watch(pair_, POLLIN | POLLRDHUP, &pair_in_port_, true);
  sock_->direct = this;
  if (listener_) hand_to_listener();
  // A connect()ing application may already have queued messages behind its filler.
  read_pair(reactor_.now());
}

void Conn::arm_idle(Instant now) {
  if (autoclose_.count() == 0 || finished_ || idle_token_) return;
  Instant at = last_data_ + autoclose_;
  idle_token_ = reactor_.schedule(at > now ? at : now, &idle_port_);
}

void Conn::IdlePort::on_timer(Instant now) {
  std::lock_guard lock(conn->sock_->tx_mu);
  conn->idle_token_ = 0;
  if (conn->finished_) return;
  if (now - conn->last_data_ < conn->autoclose_) {
    conn->arm_idle(now);  // data moved meanwhile
    return;
  }
  SCTPMAP_LOG(kDebug, "assoc %d: idle for SCTP_AUTOCLOSE, shutting down", conn->assoc_id_);
  conn->assoc_.shutdown(now);
  conn->pump(now);
}

void Conn::set_phase(Phase phase, int error) {
  if (shared_pair_) {
    sock_->update_assoc(assoc_id_, phase, error);
    return;
  }
  std::lock_guard lock(sock_->mu);
  if (phase == Phase::kShutdown && sock_->phase != Phase::kEstablished) return;
  sock_->phase = phase;
  if (error) sock_->pending_error = error;
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
  if (!(events() & event_bit(sn_type))) return;
  ToApp h;
  h.kind = ToAppKind::kNotification;
  h.assoc_id = assoc_id_;
  // Linux (sctp_ulpq_tail_event): an association in partial delivery posts
  // its notifications to the lobby until the message ends; the abort of
  // that message itself goes straight to the application.
  if (pd_open_ && shared_pair_ && sn_type != SCTP_PARTIAL_DELIVERY_EVENT) {
    pd_lobby_.push_back(pair_entry(h, body));
    return;
  }
  queue_to_app(h, body);
}

// A bundle of one entry, behind everything already queued for the application.
void Conn::queue_to_app(ToApp hdr, const std::vector<uint8_t>& body) {
  backlog_.push_back(pair_entry(hdr, body));
  flush_backlog();
}

// Returns true when the backlog is empty. Shut out by another association's
// partial delivery, or in the line of those it shut out (gate_wait_), it
// writes nothing and waits for the Hub (no POLLOUT: the pair may well be
// writable).
bool Conn::flush_backlog() {
  if (!backlog_.empty() && (gate_wait_ || gated())) {
    wait_for_gate();
    return false;
  }
  while (!backlog_.empty()) {
    const auto& m = backlog_.front();
    ssize_t n = sys::send(pair_, m.data(), m.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
      arm_pair_out();
      return false;
    }
    // EPIPE: the application closed the socket; nobody is left to tell.
    if (n < 0 && errno != EPIPE)
      SCTPMAP_LOG(kWarn, "assoc %d: notification to the application dropped: %s", assoc_id_, strerror(errno));
    backlog_.pop_front();  // sent, or the application has gone: drop
  }
  if (gate_held_) release_gate();
  if (finished_ && !deleting_) {
    deleting_ = true;
    if (shared_pair_ && sock_->hub) {  // whatever was part-way ends here
      pd_open_ = false;
      release_gate();
      sock_->hub->forget(this);
    }
    if (!shared_pair_) {  // a one-to-many socket's pair stays with its hub
      close_owned(pair_);
      sock_->engine_fd_closed = true;
    }
    reactor_.post([this] { delete this; });
  }
  return true;
}

void Conn::on_ended(int error, uint16_t sac_state) {
  lost_ = true;
  set_phase(Phase::kClosed, error);
  notify(SCTP_ASSOC_CHANGE, make_assoc_change(sac_state, 0, 0, 0, assoc_id_));
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
  bool new_style = (events() & event_bit(SCTP_SEND_FAILED_EVENT)) != 0;
  m.ppid = htonl(m.ppid);
  notify(new_style ? SCTP_SEND_FAILED_EVENT : SCTP_SEND_FAILED, make_send_failed(m, false, new_style, assoc_id_));
}

void Conn::fail_unsent_from_pair() {
  auto fail = [&](assoc::Message& m) { report_unsent(m); };
  for (auto& m : held_) fail(m);
  held_.clear();
  held_bytes_ = 0;
  if (!up_ || pair_eof_ || shared_pair_) return;  // a hub fails what it still reads for us
  std::vector<uint8_t>& scratch = shared_scratch();
  for (;;) {
    ToEngine h;
    ssize_t n = recv_app_message(pair_, &h, scratch);
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
  if (idle_token_) reactor_.cancel_timer(idle_token_);
  timer_token_ = guard_token_ = idle_token_ = 0;
  if (reset_on_close_) {
    linger lg{1, 0};
    sys::setsockopt(tcp_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  close_owned(tcp_);
  if (hub_) {
    sock_->direct_assocs.erase(assoc_id_);
    Hub* h = hub_;
    hub_ = nullptr;
    h->detach(this);
    if (!sock_->hub) backlog_.clear();  // the application closed the socket: nobody reads
  } else if (!shared_pair_) {
    sock_->conn = nullptr;
    sock_->direct = nullptr;
  }
  if (listener_ && sock_->accept_app_fd >= 0) {  // died before COMM_UP: nobody will accept it
    close_owned(sock_->accept_app_fd);
    sock_->accept_app_fd = -1;
  }
  if (sock_->tx_waiters.load()) sock_->tx_cv.notify_all();  // a large send waiting on this association fails now
  flush_backlog();  // closes the pair and deletes this once the application has everything
}

}  // namespace sctpmap::socket
