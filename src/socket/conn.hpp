// SPDX-License-Identifier: MIT
// The engine side of one association over one TCP connection: moves bytes
// between the TCP socket, the Association state machine and the socket pair,
// turns association events into notifications, and keeps the timer armed.
// Reactor thread only. A Conn deletes itself when it is finished.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "assoc/association.hpp"
#include "engine/reactor.hpp"
#include "socket/hub.hpp"
#include "socket/socket.hpp"

namespace sctpmap::socket {

class Conn final : public engine::TimerHandler, public assoc::DeliverySink {
 public:
  // Takes ownership of tcp_fd. `connecting`: a non-blocking connect is in
  // progress; otherwise the TCP connection is already established (accepted).
  // `listener`: for accepted connections, where to hand the socket at COMM_UP.
  // `hub`: one-to-many; the association `assoc_id` of the hub's socket, whose
  // pair it shares (the hub reads the pair and hands this Conn its messages).
  Conn(std::shared_ptr<Socket> sock, int tcp_fd, bool connecting, std::shared_ptr<Socket> listener,
       Hub* hub = nullptr, int32_t assoc_id = 0);

  void begin();          // starts watching; for accepted connections also the association
  void abort_local();    // SO_LINGER {1,0} close or SCTP_ABORT: RST now
  // New option values (SCTP_PEER_ADDR_PARAMS, SCTP_RTOINFO, ...): the
  // heartbeat deadline may have moved.
  void update_config(const assoc::Config& c) {
    assoc::Config next = c;
    next.partial_delivery = assoc_.config().partial_delivery;  // fixed by the socket's type
    next.pd_point = assoc_.config().pd_point;                  // the socket's (Conn::feed)
    assoc_.update_config(next);
    if (!finished_) rearm_timer();
  }
  const assoc::Association& association() const { return assoc_; }
  // The TCP connection's view of the path (cwnd, RTT, MTU) for SCTP_STATUS
  // and SCTP_GET_PEER_ADDR_INFO. False if the kernel would not say.
  bool tcp_path(uint32_t* cwnd_bytes, uint32_t* srtt_ms, uint32_t* mtu) const;
  void start_exit_drain();
  bool drained() const;
  void report() const;  // one log line with the pump's state

  void on_timer(Instant now) override;
  bool deliver(const assoc::Delivery& d) override;
  bool deliver_pieces(const assoc::Delivery& d);
  ToApp data_header(const assoc::Delivery& d) const;
  void flush_deliveries();
  void on_app_took();  // the application took messages: ACK them
  // Application thread, holding sock->tx_mu: the same, written from that
  // thread. False when the association is not simply established (the
  // engine must do it).
  bool ack_direct();
  // SCTP_SENDER_DRY_EVENT now if nothing of ours is outstanding (a new
  // subscription, as Linux's sctp_setsockopt_event).
  void notify_dry();
  int32_t assoc_id() const { return assoc_id_; }

  // One-to-many, from the Hub (reactor thread, holding the socket's tx_mu).
  enum class Take : uint8_t { kTaken, kHeld, kBlocked };
  // One message the application wrote for this association. kBlocked: the
  // send buffer is full; the hub stops reading the pair until resume().
  Take take_from_hub(const ToEngine& h, const uint8_t* data, size_t len, Instant now);
  // The application closed the socket: shut down (or abort, SO_LINGER {1,0}).
  void app_closed(Instant now);
  // The partial delivery gate (Hub::gates) that shut this association out
  // is open again: write what waited, read on.
  void gate_opened(Instant now);
  // The hub is going, after the application closed the socket: what waits
  // for it is dropped.
  void app_gone();
  // sctp_peeloff: from now on this association is `to`'s, a one-to-one
  // socket with its own pair. Caller holds both sockets' tx_mu.
  // `queued`: what it had delivered to the old socket's pair and the
  // application had not read (Socket::take_queued); it goes first.
  void move_to(std::shared_ptr<Socket> to, std::deque<std::vector<uint8_t>> queued);
  // Application thread, holding sock->tx_mu: sends one user message straight
  // to TCP when nothing is queued ahead of it and the send buffer has room
  // (docs/ARCHITECTURE.md, "Direct sends"). False: the caller writes it to
  // the pair instead, and the engine takes it from there.
  bool send_direct(const ToEngine& h, const msghdr* msg, size_t len);

  // Application thread, holding sock->tx_mu, about to block (for a message,
  // Socket::wait_readable, or for ACKs, Socket::send_to_engine): reads TCP
  // itself. kRead: something was read (look again); kEngine: the engine's
  // work; kEmpty: TCP has nothing, `*wait_fd` is the TCP socket to poll, and
  // the caller now counts as waiting on it: meanwhile the engine leaves it to
  // the caller, so that one thread wakes, not two. After the wait, the caller
  // must call app_wait_done: `reading` says whether it reads again; if not,
  // the engine reads what it left.
  enum class AppRead : uint8_t { kRead, kEmpty, kEngine };
  AppRead read_tcp_from_app(int* wait_fd);
  void app_wait_done(bool reading);

  static void for_each(void (*fn)(Conn&));
  static bool all(bool (*pred)(const Conn&));

 private:
  // Routes one watch's readiness to one method.
  struct Port final : engine::FdHandler {
    Conn* conn;
    void (Conn::*fn)(uint32_t);
    Port(Conn* c, void (Conn::*f)(uint32_t)) : conn(c), fn(f) {}
    void on_ready(int, uint32_t revents) override {
      std::lock_guard lock(conn->sock_->tx_mu);
      (conn->*fn)(revents);
    }
  };

  // Linux's T5 shutdown guard: a peer that never answers our FIN with its own
  // is reset after 5 x RTO.Max (RFC 9260 section 9.2).
  struct GuardPort final : engine::TimerHandler {
    Conn* conn;
    explicit GuardPort(Conn* c) : conn(c) {}
    void on_timer(Instant) override {
      std::lock_guard lock(conn->sock_->tx_mu);
      conn->guard_token_ = 0;
      conn->abort_local();
    }
  };

  ~Conn() = default;
  void on_tcp_in(uint32_t revents);
  void on_tcp_out(uint32_t revents);
  void on_pair_in(uint32_t revents);
  void on_pair_out(uint32_t revents);
  void on_connected();
  void start_association(Instant now);
  void read_tcp(Instant now);
  void post_read();  // from any thread holding tx_mu: the engine reads TCP on its next turn
  void arm_tcp_in();
  void read_pair(Instant now);
  bool send_held(Instant now);
  void take_app_message(const ToEngine& h, const uint8_t* data, size_t len, Instant now);
  static assoc::Message app_message(const ToEngine& h, const uint8_t* data, size_t len);
  // PR-SCTP time-to-live (docs/ARCHITECTURE.md): a message with a TTL goes
  // into the association only once everything before it is written to TCP,
  // and nothing follows it while it is unwritten, so that the association
  // can still take it back (Association::unwritten_ttl_tail).
  bool must_wait(bool has_ttl) const {
    return assoc_.unwritten_ttl_tail() || (has_ttl && !assoc_.pending_tx().empty());
  }
  // must_wait(), after writing what TCP takes now: then only TCP's POLLOUT
  // or the expiry timer can end the wait, and both resume the application's
  // messages (pull_app).
  bool must_wait_after_flush(const assoc::Message& m, Instant now);
  // An expired message that waited unwritten: SEND_FAILED, never sent.
  bool drop_expired(assoc::Message& m, Instant now);
  void submit(assoc::Message msg, Instant now);
  void report_unsent(assoc::Message& m);
  size_t feed(const uint8_t* data, size_t len, Instant now);
  // What TCP is read into (shared_rx): left uninitialized, so a thread's
  // pages count in RSS only as far as its reads ever reached.
  struct RxBuffer {
    static constexpr size_t kCapacity = 256 * 1024;
    std::unique_ptr<uint8_t[]> bytes{new uint8_t[kCapacity]};
    uint8_t* data() { return bytes.get(); }
    static constexpr size_t size() { return kCapacity; }
  };
  static RxBuffer& shared_rx();
  static std::vector<uint8_t>& shared_scratch();
  void pump(Instant now);
  void flush_tx(Instant now);
  // Messages from the application wait in held_ or in the pair.
  bool pair_waiting() const { return !held_.empty() || sock_->pair_data_queued.load() != 0; }
  void ack_taken(uint32_t taken, Instant now);
  void post_flush();
  void post_flush_by(Instant by);
  // Nagle (SCTP_NODELAY off): a message submitted now would wait for the
  // ACK of those before it. And whether one of `len` bytes may join a batch.
  bool nagle_waits() const;
  bool batchable(size_t len) const;
  engine::Reactor::Task flush_task();
  void write_now();
  void handle_events(Instant now);
  void on_comm_up(const assoc::CommUp& up);
  sockaddr_storage peer_addr() const;
  // The socket-side state of this association (the socket for one-to-one,
  // its AssocInfo for one-to-many).
  void set_phase(Phase phase, int error);
  void pull_app(Instant now);  // more messages from the application, if any wait
  void on_ended(int error, uint16_t sac_state);
  void notify(uint16_t sn_type, std::vector<uint8_t> body);
  // The subscriptions notifications are filtered by: the association's own
  // on a one-to-many socket (SCTP_EVENT with its id), else the socket's.
  EventMask events() const { return shared_pair_ ? doorbell_->events.load(std::memory_order_relaxed) : sock_->events(); }
  void queue_to_app(ToApp hdr, const std::vector<uint8_t>& body);
  bool flush_backlog();
  // One-to-many partial delivery (hub.hpp, "partial delivery gate").
  bool gated() const {
    Hub* h = shared_pair_ ? sock_->hub : nullptr;
    return h != nullptr && h->gates(this);
  }
  void wait_for_gate();
  void after_pieces(const assoc::Delivery& d);
  void end_partial();
  void partial_aborted();
  void release_gate();
  void fail_unsent_from_pair();
  void hand_to_listener();
  void finish();
  void unregister();
  void continue_later(void (Conn::*fn)(Instant));
  void arm_pair_out();
  void arm_tcp_out();
  void rearm_timer();

  std::shared_ptr<Socket> sock_;
  std::shared_ptr<Socket> listener_;
  Hub* hub_ = nullptr;          // one-to-many, until finish()
  bool shared_pair_;            // one-to-many: the pair belongs to the hub
  const int32_t assoc_id_;
  std::shared_ptr<AckDoorbell> doorbell_;
  int tcp_ = -1;
  int pair_ = -1;
  assoc::Association assoc_;
  engine::Reactor& reactor_;

  Port tcp_in_port_{this, &Conn::on_tcp_in};
  Port tcp_out_port_{this, &Conn::on_tcp_out};
  Port pair_in_port_{this, &Conn::on_pair_in};
  Port pair_out_port_{this, &Conn::on_pair_out};
  engine::Watch* tcp_in_ = nullptr;
  engine::Watch* tcp_out_ = nullptr;
  engine::Watch* pair_in_ = nullptr;
  engine::Watch* pair_out_ = nullptr;
  uint64_t timer_token_ = 0;
  GuardPort guard_port_{this};
  uint64_t guard_token_ = 0;

  // SCTP_AUTOCLOSE (one-to-many): an association without user data either
  // way for that long shuts down gracefully (RFC 6458 8.1.8).
  struct IdlePort final : engine::TimerHandler {
    Conn* conn;
    explicit IdlePort(Conn* c) : conn(c) {}
    void on_timer(Instant now) override;
  };
  void arm_idle(Instant now);
  IdlePort idle_port_{this};
  uint64_t idle_token_ = 0;
  Duration autoclose_{};
  Instant last_data_{};
  std::optional<Instant> timer_at_;

  std::vector<uint8_t> rx_;  // received bytes not consumed yet (a partial chunk, or refused)
  bool inbound_paused_ = false;
  bool events_first_ = false;  // deliver() refused a DATA chunk until the events before it are out
  bool tcp_eof_ = false;
  bool eof_reported_ = false;
  bool connecting_ = false;
  bool up_ = false;
  bool finished_ = false;
  bool reset_on_close_ = false;
  bool pair_eof_ = false;
  bool fin_sent_ = false;
  bool exiting_ = false;  // process exit: shut down once the pair is empty
  bool lost_ = false;      // ended by CommLost / CantStart, not a graceful shutdown
  bool deleting_ = false;
  std::deque<assoc::Message> held_;  // read from the pair, waiting for send-buffer room
  size_t held_bytes_ = 0;
  bool app_eof_pending_ = false;     // one-to-many: SCTP_EOF or close() waits behind held_
  std::deque<std::vector<uint8_t>> backlog_;  // whole pair messages for the app, in order
  // One-to-many partial delivery: pieces of a message are handed out, its
  // last not yet (Association's rx_pd_open_ as the pair sees it).
  bool pd_open_ = false;
  // Meanwhile this association's own notifications wait here and follow
  // the message's end (Linux: the pd_lobby until sctp_ulpq_clear_pd).
  std::vector<std::vector<uint8_t>> pd_lobby_;
  bool gate_held_ = false;  // this association holds the hub's gate (Hub::pd_begin)
  bool gate_wait_ = false;  // waits in the hub's list: shut out by another, or behind those it shut out
  uint32_t acked_ = 0;
  bool flush_posted_ = false;  // an application thread asked the engine to write tx
  bool on_app_thread_ = false;  // read_tcp_from_app runs: what needs the reactor is left to it
  bool engine_owed_ = false;    // ... and something was left
  int app_waiting_ = 0;         // application threads waiting on tcp_ (read_tcp_from_app)
  bool tcp_parked_ = false;     // the TCP watch is left unarmed for it (arm_tcp_in)
  bool rearm_posted_ = false;   // the engine is asked to take TCP back
  bool tcp_error_ = false;      // reading TCP failed: no watch any more
  bool flush_immediate_ = false;  // ... on its next turn, not by a deadline (post_flush_by)
  Instant last_app_send_{};    // of the last direct send
};

}  // namespace sctpmap::socket
