// SPDX-License-Identifier: MIT
// The engine side of a one-to-many (SOCK_SEQPACKET) socket: every association
// of the socket shares its pair. The hub reads the pair and hands each
// message to its association's Conn (by ToEngine::assoc_id), accepts TCP
// connections while the socket listens, and turns the application's close()
// into a shutdown of every association. Conns write their deliveries and
// notifications to the shared pair themselves (bundles are per association,
// and the ToApp headers carry the association id).
//
// Reactor thread only; every entry point takes the socket's tx_mu, which all
// of its Conns share. The hub deletes itself once the application has closed
// the socket and the last association has finished.
#pragma once

#include <deque>
#include <memory>
#include <unordered_map>
#include <vector>

#include "assoc/instant.hpp"
#include "engine/reactor.hpp"
#include "socket/pair_message.hpp"

namespace sctpmap::socket {

class Conn;
class Socket;

class Hub final : public engine::FdHandler {
 public:
  // The socket's hub, created (and watching the pair) on first use.
  static Hub* of(const std::shared_ptr<Socket>& sock);

  void listen(const std::vector<int>& tcp_listen_fds);  // takes ownership
  void stop_listening();
  void attach(Conn* c);  // from Conn's constructor
  void detach(Conn* c);  // from Conn::finish
  Conn* find(int32_t assoc_id) const;
  template <class Fn>
  void for_each(Fn fn) {
    for (auto& [id, c] : conns_) fn(*c);
  }
  // `c` has room in its send buffer again: read the pair if it stopped for it.
  void resume(Conn* c);
  // Hands every message waiting in the pair to its association now.
  void flush_app_messages() { read_pair(reactor_.now()); }
  // Process exit: take what the application wrote, then shut everything down.
  void exit_drain(Instant now);

  void on_ready(int fd, uint32_t revents) override;  // the pair

  // The partial delivery gate (SCTP_FRAGMENT_INTERLEAVE 0, Linux's pd_lobby;
  // docs/PROTOCOL.md 15.4). While one association has part of a message in
  // the pair (pd_begin .. pd_end), no other association writes to the pair:
  // each Conn checks gates() before writing and, if shut out, waits (its
  // deliveries refused, its TCP unread) until the gate opens; the waiting
  // Conns then resume in the order they came to wait. One association at a
  // time; with SCTP_FRAGMENT_INTERLEAVE 1 nobody takes the gate.
  bool gates(const Conn* c) const { return pd_owner_ != nullptr && pd_owner_ != c; }
  void pd_begin(Conn* c) { pd_owner_ = c; }
  void pd_end(Conn* c);
  void wait_gate(Conn* c) { pd_waiting_.push_back(c); }
  bool has_waiters() const { return !pd_waiting_.empty(); }
  void forget(Conn* c);  // `c` goes (deleted or peeled off): no longer waits

 private:
  explicit Hub(std::shared_ptr<Socket> sock);
  ~Hub() = default;

  struct ListenPort final : engine::FdHandler {
    Hub* hub;
    explicit ListenPort(Hub* h) : hub(h) {}
    void on_ready(int fd, uint32_t revents) override;
  };
  struct Pending {
    ToEngine hdr;
    std::vector<uint8_t> data;
  };

  void read_pair(Instant now);
  void dispatch(const ToEngine& h, const uint8_t* data, size_t len, Instant now);
  void accept_all(int listen_fd);
  void app_closed(Instant now);
  void maybe_finish();
  void fail_unsent(const ToEngine& h, const uint8_t* data, size_t len);

  std::shared_ptr<Socket> sock_;
  int pair_;
  engine::Reactor& reactor_;
  engine::Watch* pair_in_ = nullptr;
  std::vector<engine::Watch*> listen_ins_;
  std::vector<int> listen_fds_;
  ListenPort listen_port_{this};
  std::unordered_map<int32_t, Conn*> conns_;
  // Messages for associations whose Conn is still being created.
  std::unordered_map<int32_t, std::deque<Pending>> pending_;
  Conn* blocked_ = nullptr;  // its full send buffer stops reading the pair
  Conn* pd_owner_ = nullptr;   // holds the partial delivery gate
  std::vector<Conn*> pd_waiting_;  // shut out by it, oldest first
  std::deque<std::vector<uint8_t>> lobby_;  // the hub's own notifications (fail_unsent) meanwhile
  void open_gate();
  void write_notification(const ToApp& a, const uint8_t* body);
  bool app_closed_ = false;
  bool exiting_ = false;
  bool deleting_ = false;
};

}  // namespace sctpmap::socket
