// SPDX-License-Identifier: MIT
// Conn: partial delivery on a one-to-many socket, as the shared pair sees
// it. The association decides when a message's pieces go out
// (assoc::Config::pd_point); here they hold the Hub's gate while the
// message is part-way in the pair, so that with SCTP_FRAGMENT_INTERLEAVE 0
// nothing of another association comes between them (hub.hpp, Linux's
// pd_lobby in net/sctp/ulpqueue.c), and this association's notifications
// wait for the message's end. Reactor thread, holding the socket's tx_mu.
#include "socket/conn.hpp"

namespace sctpmap::socket {

// One-to-many: a message part-way in the pair (in partial delivery, or a
// large one whose rest waits in the backlog) keeps the other associations
// out of the pair until its end is in (SCTP_FRAGMENT_INTERLEAVE 0).
void Conn::after_pieces(const assoc::Delivery& d) {
  if (d.piece) {
    if (!d.more && pd_open_) {
      end_partial();
      return;
    }
    pd_open_ = d.more;
  }
  if (gate_held_ || (!pd_open_ && backlog_.empty())) return;
  Hub* h = sock_->hub;
  if (h == nullptr || sock_->fragment_interleave.load(std::memory_order_relaxed)) return;
  gate_held_ = true;
  h->pd_begin(this);
}

// The message in partial delivery has ended (its last piece, or
// SCTP_PARTIAL_DELIVERY_ABORTED is queued): the notifications that waited
// for it follow, and the gate opens once all of it is in the pair.
void Conn::end_partial() {
  pd_open_ = false;
  for (auto& m : pd_lobby_) backlog_.push_back(std::move(m));
  pd_lobby_.clear();
  flush_backlog();  // releases the gate when it empties
}

// SCTP_PARTIAL_DELIVERY_ABORTED is queued. Linux (sctp_ulpq_abort_pd):
// what waited in the lobby comes next, then this association's COMM_LOST,
// so this association takes its place behind the waiting ones.
void Conn::partial_aborted() {
  if (pd_open_) end_partial();
  Hub* h = shared_pair_ ? sock_->hub : nullptr;
  if (h == nullptr || gate_held_ || gate_wait_ || !h->has_waiters()) return;
  gate_wait_ = true;
  h->wait_gate(this);
}

void Conn::release_gate() {
  if (!gate_held_ || pd_open_ || !backlog_.empty()) return;
  gate_held_ = false;
  if (Hub* h = sock_->hub) h->pd_end(this);
}

void Conn::wait_for_gate() {
  if (gate_wait_) return;
  gate_wait_ = true;
  sock_->hub->wait_gate(this);
}

void Conn::gate_opened(Instant now) {
  gate_wait_ = false;
  if (flush_backlog()) read_tcp(now);  // resumes with the bytes it refused
  pump(now);
}

void Conn::app_gone() {
  backlog_.clear();
  pd_lobby_.clear();
  gate_wait_ = false;
  flush_backlog();  // deletes this once finished
}

}  // namespace sctpmap::socket
