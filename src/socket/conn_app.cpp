// SPDX-License-Identifier: MIT
// Conn: what application threads (direct sends, ACKs) and a one-to-many
// socket's Hub ask of an association. Callers hold the socket's tx_mu.
#include <arpa/inet.h>
#include <netinet/tcp.h>

#include <cstring>

#include "common/sys.hpp"
#include "socket/conn.hpp"

namespace sctpmap::socket {
namespace {

// Direct sends closer together than this are a stream: batched (send_direct).
constexpr Duration kStreamingGap = std::chrono::microseconds(20);
// Messages this large are written at once even in a stream: one send per
// message is already efficient, and batching would only add a hop.
constexpr size_t kDirectWriteMin = 4096;
// A batch is written by the sending thread once it is this large, and by the
// engine at the latest this long after its first message. About one
// loopback MSS: the sender's thread is bound by the kernel's per-segment
// send path (which runs the receiving side too), so fewer, larger writes
// pay (1 KB messages 0.69-0.72x -> 0.93-0.94x raw TCP against 16 KiB).
constexpr size_t kBatchBytes = 64 * 1024;
constexpr Duration kBatchDelay = std::chrono::microseconds(50);
// Nagle (SCTP_NODELAY off, Linux's default): a small message sent while
// earlier ones await their ACK waits for that ACK (the engine writes the
// batch when it reads it) or this long at most. The bound is for peers that
// ACK late; ours ACK within 1 ms (Socket::note_taken).
constexpr Duration kNagleDelay = std::chrono::milliseconds(1);

}  // namespace

void Conn::on_app_took() {
  doorbell_->scheduled.store(false);
  uint32_t taken = doorbell_->taken.load();
  if (taken == acked_ || finished_) return;
  Instant now = reactor_.now();
  ack_taken(taken, now);
  pump(now);
}

// One ACK per DATA the application took since the last call (draft section 3).
void Conn::ack_taken(uint32_t taken, Instant now) {
  uint32_t delta = taken - acked_;
  acked_ = taken;
  doorbell_->acked.store(taken);
  if (delta != 0) assoc_.delivered(delta, now);
}

bool Conn::ack_direct() {
  if (finished_ || !up_ || assoc_.state() != assoc::State::kEstablished) return false;
  ack_taken(doorbell_->taken.load(), reactor_.now());
  write_now();
  return true;
}

// Skips the application -> pair -> engine hop and the engine's wake-up: the
// message is encoded and written to TCP on the calling thread. Only when
// order cannot suffer (nothing in the pair or held, the association
// established) and nothing needs the engine (room in the send buffer, TCP
// not backed up); the pair path keeps POLLOUT and blocking sends exact in
// every other case. ACKs owed for what the application took ride along, so
// a reply carries the ACK of the request in the same segment.
bool Conn::send_direct(const ToEngine& h, const msghdr* msg, size_t len) {
  if (finished_ || !up_ || pair_eof_ || !held_.empty() || sock_->pair_data_queued.load() != 0) return false;
  if (h.flags & (SCTP_EOF | SCTP_ABORT)) return false;
  if (assoc_.state() != assoc::State::kEstablished || !assoc_.can_send(len)) return false;
  if (tcp_out_ || (!flush_posted_ && !assoc_.pending_tx().empty())) return false;  // stay behind the engine
  if (must_wait(h.ttl != 0)) return false;
  Instant now = reactor_.now();
  assoc::Message m;
  m.sid = h.sid;
  m.ppid = ntohl(h.ppid);
  m.flags = h.flags;
  m.context = h.context;
  if (h.ttl != 0) m.expires = now + std::chrono::milliseconds(h.ttl);
  m.payload.resize(len);
  size_t off = 0;
  for (size_t i = 0; i < msg->msg_iovlen; ++i) {
    std::memcpy(m.payload.data() + off, msg->msg_iov[i].iov_base, msg->msg_iov[i].iov_len);
    off += msg->msg_iov[i].iov_len;
  }
  const bool nagle = nagle_waits();
  ack_taken(doorbell_->taken.load(), now);
  submit(std::move(m), now);
  // A message that follows the previous one closely, or (Nagle) one sent
  // while earlier ones are un-ACKed, joins a batch, written in one send by
  // this thread once it holds kBatchBytes, by the engine when the ACK comes,
  // or at the latest kBatchDelay / kNagleDelay after it began, instead of
  // costing a TCP segment of its own. Many associations each sending now
  // and then are no stream, and only Nagle gathers their messages (100
  // associations: 0.29x -> 1.2-1.3x raw TCP, docs/PERFORMANCE.md). An isolated message
  // (request/response: the reply carries the ACK) or a large one is written
  // at once, so latency gains a hop, not a wake.
  const bool streaming = now - last_app_send_ < kStreamingGap;
  last_app_send_ = now;
  // A TTL message is written at once: while unwritten it holds back the rest.
  if (h.ttl == 0 && (streaming || nagle) && batchable(len)) {
    post_flush_by(now + (streaming ? kBatchDelay : kNagleDelay));
    return true;
  }
  write_now();
  return true;
}

bool Conn::nagle_waits() const {
  return assoc_.unacked_count() != 0 && !sock_->nodelay.load(std::memory_order_relaxed);
}

bool Conn::batchable(size_t len) const { return len < kDirectWriteMin && assoc_.pending_tx().size() < kBatchBytes; }

// Application thread, holding tx_mu: what is queued for TCP goes now, unless
// the engine waits for POLLOUT or is about to write it; what TCP does not
// take is the engine's.
void Conn::write_now() {
  if (tcp_out_ || (flush_posted_ && flush_immediate_)) return;
  wire::Bytes tx = assoc_.pending_tx();
  if (tx.empty()) return;
  ssize_t n = sys::send(tcp_, tx.data(), tx.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
  if (n > 0) assoc_.consume_tx(static_cast<size_t>(n));
  if (n != static_cast<ssize_t>(tx.size())) post_flush();  // TCP full or failed: the engine takes over
}

// Application thread, holding tx_mu: the engine writes what is queued (and
// arms POLLOUT or reports a failure) on its next turn.
void Conn::post_flush() {
  if (flush_posted_ && flush_immediate_) return;
  flush_immediate_ = true;
  if (flush_posted_) {  // a lazy flush is on its way; this one must not wait for it
    reactor_.post([] {});
    return;
  }
  flush_posted_ = true;
  reactor_.post(flush_task());
}

// The same, by `by` at the latest (Reactor::post_by): the tail of a batch of
// small messages.
void Conn::post_flush_by(Instant by) {
  if (flush_posted_) return;
  flush_posted_ = true;
  flush_immediate_ = false;
  reactor_.post_by(flush_task(), by);
}

engine::Reactor::Task Conn::flush_task() {
  return [s = sock_, id = assoc_id_] {
    std::lock_guard lock(s->tx_mu);
    if (Conn* c = s->conn_for(id)) {
      c->flush_posted_ = false;
      c->flush_immediate_ = false;
      c->pump(c->reactor_.now());
    }
  };
}

void Conn::pull_app(Instant now) {
  if (!hub_) {
    read_pair(now);
    return;
  }
  if (!up_ || finished_) return;
  if (send_held(now)) hub_->resume(this);
  pump(now);
}

Conn::Take Conn::take_from_hub(const ToEngine& h, const uint8_t* data, size_t len, Instant now) {
  if (finished_) {
    assoc::Message m = app_message(h, data, len);
    report_unsent(m);
    return Take::kTaken;
  }
  if (h.flags & SCTP_ABORT) {
    abort_local();
    return Take::kTaken;
  }
  if (h.flags & SCTP_EOF) {
    if (up_ && held_.empty()) {
      assoc_.shutdown(now);
      pump(now);
    } else {
      app_eof_pending_ = true;  // after what is held
    }
    return Take::kTaken;
  }
  assoc::Message m = app_message(h, data, len);
  if (drop_expired(m, now)) return Take::kTaken;
  if (!up_ || !held_.empty() || !assoc_.can_send(len) || must_wait_after_flush(m, now)) {
    held_.push_back(std::move(m));
    held_bytes_ += len;
    // Before COMM_UP a bounded amount waits here without stopping the other
    // associations; a full send buffer stops the socket (as Linux SCTP's
    // per-socket SO_SNDBUF does).
    if (up_ || held_bytes_ > assoc_.config().sndbuf) return Take::kBlocked;
    return Take::kHeld;
  }
  const bool nagle = !m.has_ttl() && nagle_waits();
  submit(std::move(m), now);
  if (nagle && batchable(len)) {  // as in send_direct
    post_flush_by(now + kNagleDelay);
    return Take::kTaken;
  }
  pump(now);
  return Take::kTaken;
}

void Conn::move_to(std::shared_ptr<Socket> to, std::deque<std::vector<uint8_t>> queued) {
  sock_->direct_assocs.erase(assoc_id_);
  if (idle_token_) reactor_.cancel_timer(idle_token_);  // SCTP_AUTOCLOSE is a one-to-many matter
  idle_token_ = 0;
  autoclose_ = {};
  Hub* h = hub_;
  hub_ = nullptr;
  const bool was_waiting = gate_wait_;
  if (Hub* gate = sock_->hub) {  // it neither shuts others out nor waits any longer
    gate_held_ = false;
    gate_wait_ = false;
    gate->forget(this);
  }
  shared_pair_ = false;
  if (h) h->detach(this);
  if (pair_out_) {  // the backlog now goes to the new pair
    reactor_.cancel(pair_out_);
    pair_out_ = nullptr;
  }
  sock_ = std::move(to);
  pair_ = sock_->engine_fd;
  sock_->conn = this;
  // Delivered earlier than anything in the backlog: ahead of it.
  backlog_.insert(backlog_.begin(), std::make_move_iterator(queued.begin()), std::make_move_iterator(queued.end()));
  for (auto& m : pd_lobby_) backlog_.push_back(std::move(m));  // a one-to-one socket has no lobby
  pd_lobby_.clear();
  if (!up_) return;
  sock_->direct = this;
  pair_in_ = reactor_.watch(pair_, POLLIN | POLLRDHUP, &pair_in_port_, true);
  flush_backlog();
  // What another association's partial delivery held back (its reading
  // paused) now goes to the new socket.
  if (was_waiting) continue_later(&Conn::read_tcp);
}

void Conn::app_closed(Instant now) {
  pair_eof_ = true;
  if (sock_->abort_on_close()) {
    abort_local();
    return;
  }
  if (!up_) {
    app_eof_pending_ = true;
    return;
  }
  if (held_.empty()) {
    assoc_.shutdown(now);
    pump(now);
  } else {
    app_eof_pending_ = true;
  }
}

bool Conn::tcp_path(uint32_t* cwnd_bytes, uint32_t* srtt_ms, uint32_t* mtu) const {
  tcp_info ti{};
  socklen_t len = sizeof ti;
  if (tcp_ < 0 || sys::getsockopt(tcp_, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0) return false;
  *cwnd_bytes = ti.tcpi_snd_cwnd * ti.tcpi_snd_mss;
  *srtt_ms = ti.tcpi_rtt / 1000;
  *mtu = ti.tcpi_pmtu;
  return true;
}

}  // namespace sctpmap::socket
