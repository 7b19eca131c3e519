// SPDX-License-Identifier: MIT
// Conn: the byte pump. Events and teardown are in conn_events.cpp; what
// application threads and the Hub call, in conn_app.cpp.
#include "socket/conn.hpp"

#include <arpa/inet.h>
#include <netinet/tcp.h>

#include <sys/syscall.h>

#include <cerrno>
#include <cstring>
#include <unordered_set>

#include "common/log.hpp"
#include "common/sys.hpp"

namespace sctpmap::socket {
namespace {

// How long TCP may stay parked (Conn::app_wait_done) after the application
// thread that waited on it went back to its work: data that comes meanwhile
// reaches poll() on the socket that much later at most.
constexpr Duration kParkedRearm = std::chrono::milliseconds(1);
// Above this many queued TCP bytes the engine stops taking messages from the
// application, so a peer with a closed window pushes back to the sender's fd.
constexpr size_t kTxHighWater = 512 * 1024;
constexpr size_t kPairMessageMax = 65536 + sizeof(ToEngine);

std::unordered_set<Conn*>& registry() {
  static auto* r = new std::unordered_set<Conn*>();  // reactor thread only; leaked on purpose
  return *r;
}

}  // namespace

Conn::Conn(std::shared_ptr<Socket> sock, int tcp_fd, bool connecting, std::shared_ptr<Socket> listener, Hub* hub,
           int32_t assoc_id)
    : sock_(std::move(sock)),
      listener_(std::move(listener)),
      hub_(hub),
      shared_pair_(hub != nullptr),
      assoc_id_(hub ? assoc_id : sock_->assoc_id),
      doorbell_(sock_->doorbell),
      tcp_(tcp_fd),
      pair_(sock_->engine_fd),
      assoc_([&] {
        std::lock_guard lock(sock_->mu);
        auto it = sock_->assocs.find(assoc_id);
        // One-to-many: the association's own values (set up by new_assoc).
        assoc::Config c = hub && it != sock_->assocs.end() ? it->second.opts.assoc : sock_->opts.assoc;
        // Pieces of a message as they come only where no other association's
        // data can come between them (docs/PROTOCOL.md 15.4).
        c.partial_delivery = hub == nullptr;
        return c;
      }()),
      reactor_(engine::Reactor::instance()),
      connecting_(connecting) {
  registry().insert(this);
  if (hub_) {
    std::lock_guard lock(sock_->mu);
    auto it = sock_->assocs.find(assoc_id_);
    if (it != sock_->assocs.end()) doorbell_ = it->second.doorbell;
    hub_->attach(this);
  } else {
    sock_->conn = this;
  }
  static bool drain_installed = false;
  if (!drain_installed) {
    drain_installed = true;
    reactor_.set_exit_drain(
        [] {
          Conn::for_each([](Conn& c) {
            std::lock_guard lock(c.sock_->tx_mu);
            c.start_exit_drain();
          });
        },
        [] {
          return Conn::all([](const Conn& c) {
            std::lock_guard lock(c.sock_->tx_mu);
            return c.drained();
          });
        },
        [] {
          Conn::for_each([](Conn& c) {
            std::lock_guard lock(c.sock_->tx_mu);
            c.report();
          });
        });
  }
}

void Conn::for_each(void (*fn)(Conn&)) {
  std::vector<Conn*> all(registry().begin(), registry().end());
  for (Conn* c : all) fn(*c);
}

void Conn::unregister() { registry().erase(this); }

bool Conn::all(bool (*pred)(const Conn&)) {
  for (const Conn* c : registry())
    if (!pred(*c)) return false;
  return true;
}

void Conn::begin() {
  int one = 1;
  // The engine coalesces everything queued per loop turn; Nagle on top would
  // hold ACK chunks behind delayed TCP ACKs (docs/ARCHITECTURE.md).
  sys::setsockopt(tcp_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connecting_) {
    tcp_out_ = reactor_.watch(tcp_, POLLOUT, &tcp_out_port_, false);
    return;
  }
  on_connected();
}

void Conn::on_connected() {
  connecting_ = false;
  arm_tcp_in();
  start_association(reactor_.now());
}

void Conn::start_association(Instant now) {
  assoc_.start(now);
  pump(now);
}

void Conn::on_tcp_out(uint32_t) {
  tcp_out_ = nullptr;
  Instant now = reactor_.now();
  if (connecting_) {
    int err = 0;
    socklen_t len = sizeof err;
    sys::getsockopt(tcp_, SOL_SOCKET, SO_ERROR, &err, &len);
    if (err != 0) {
      on_ended(err, SCTP_CANT_STR_ASSOC);
      return;
    }
    on_connected();
    return;
  }
  pump(now);
  // read_pair() stops above kTxHighWater unwritten bytes; with the
  // application blocked on a full pair no new POLLIN would restart it.
  if (!finished_ && pair_waiting()) pull_app(now);
}

void Conn::on_tcp_in(uint32_t) {
  tcp_in_ = nullptr;  // one-shot: spent
  if (app_waiting_) {
    tcp_parked_ = true;  // the waiting application thread reads it (app_wait_done)
    return;
  }
  read_tcp(reactor_.now());  // arms the watch again
}

// The TCP watch is one-shot, armed again after each read, so that it can be
// left unarmed ("parked") while an application thread blocked in recvmsg
// reads TCP itself: then a message wakes that thread alone. Not while
// reading is paused (the data stays until the pair drains: a watch would
// fire at once, again and again), nor after end of file or an error.
void Conn::arm_tcp_in() {
  if (tcp_in_ || finished_ || tcp_eof_ || tcp_error_ || inbound_paused_) return;
  if (app_waiting_) {
    tcp_parked_ = true;
    return;
  }
  tcp_parked_ = false;
  tcp_in_ = reactor_.watch(tcp_, POLLIN | POLLRDHUP, &tcp_in_port_, false);
}

void Conn::on_pair_in(uint32_t) { read_pair(reactor_.now()); }

void Conn::on_pair_out(uint32_t) {
  pair_out_ = nullptr;
  Instant now = reactor_.now();
  if (flush_backlog()) read_tcp(now);  // resumes with the bytes the application refused
  pump(now);
}

void Conn::on_timer(Instant now) {
  std::lock_guard lock(sock_->tx_mu);
  timer_token_ = 0;
  timer_at_.reset();
  assoc_.on_timeout(now);
  pump(now);
  // An expired message taken back may have been what held the rest.
  if (!finished_ && pair_waiting()) pull_app(now);
}

// Deliveries to the application, gathered into one bundle (pair_message.hpp)
// and written with one sendmsg. The payload views point into the buffer being
// fed, which outlives the bundle: feed() flushes before it returns.
struct DeliveryBatch {
  ToApp hdr[kBundleMaxEntries];
  iovec iov[2 * kBundleMaxEntries];
  unsigned count = 0;
  size_t bytes = 0;
  bool full = false;  // an entry was refused for room: flush and go on

  bool fits(size_t payload) const {
    if (count == 0) return true;
    return count < kBundleMaxEntries && bytes + sizeof(ToApp) + payload <= kBundleSoftBytes;
  }
};

static DeliveryBatch& delivery_batch() {
  // The reactor's, or an application thread's in Conn::read_tcp_from_app.
  thread_local auto* b = new DeliveryBatch();
  return *b;
}

// The PPID goes back in the byte order the peer's user gave it (see app_message).
ToApp Conn::data_header(const assoc::Delivery& d) const {
  ToApp h{};
  h.kind = ToAppKind::kData;
  h.sid = d.sid;
  h.ssn = d.ssn;
  h.flags = d.unordered ? SCTP_UNORDERED : 0;
  h.ppid = htonl(d.ppid);
  h.tsn = d.tsn;
  h.cumtsn = d.tsn;
  h.assoc_id = assoc_id_;
  return h;
}

bool Conn::deliver(const assoc::Delivery& d) {
  DeliveryBatch& b = delivery_batch();
  if (!backlog_.empty()) return false;
  if (gate_wait_ || gated()) {  // another association's message is part-way in the shared pair
    wait_for_gate();
    return false;
  }
  if (assoc_.event_pending()) {  // e.g. COMM_UP, when INIT and DATA came in one read: it goes first
    events_first_ = true;
    return false;
  }
  // Only a reassembled message is longer than one DATA chunk carries, and
  // its payload lives in the association's reassembly buffer; a piece of a
  // message delivered as it comes is its own pair message too.
  if (d.piece || d.payload.size() > wire::kMaxDraftMessage) return deliver_pieces(d);
  if (!b.fits(d.payload.size())) {
    b.full = true;
    return false;
  }
  ToApp& h = b.hdr[b.count];
  h = data_header(d);
  h.len = static_cast<uint32_t>(d.payload.size());
  b.iov[2 * b.count] = {&h, sizeof h};
  b.iov[2 * b.count + 1] = {const_cast<uint8_t*>(d.payload.data()), d.payload.size()};
  b.bytes += sizeof h + d.payload.size();
  ++b.count;
  return true;
}

// A reassembled message, or part of one in partial delivery: its payload is
// valid only during deliver(), so it goes out now, in pieces of at most
// kPieceMax, each its own pair message; what the pair cannot take is copied
// to the backlog.
bool Conn::deliver_pieces(const assoc::Delivery& d) {
  flush_deliveries();  // what came before stays before
  if (!backlog_.empty()) return false;
  ToApp h = data_header(d);
  // One-to-one sockets keep their readers' old rule: a blocking recvmsg
  // waits for the next piece of a message it has begun.
  const uint8_t last_more = !d.more ? 0 : shared_pair_ ? kMoreLater : kMoreFollows;
  const uint8_t* p = d.payload.data();
  size_t left = d.payload.size();
  while (left > 0) {
    const size_t n = std::min(left, kPieceMax);
    h.len = static_cast<uint32_t>(n);
    h.more = left > n ? kMoreFollows : last_more;
    if (backlog_.empty()) {
      iovec iov[2] = {{&h, sizeof h}, {const_cast<uint8_t*>(p), n}};
      msghdr m{};
      m.msg_iov = iov;
      m.msg_iovlen = 2;
      ssize_t r;
      do {
        r = sys::sendmsg(pair_, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
      } while (r < 0 && errno == EINTR);
      if (r < 0 && errno != EAGAIN && errno != ENOBUFS) return true;  // the application closed its end
      if (r >= 0) {
        p += n;
        left -= n;
        continue;
      }
      arm_pair_out();
    }
    std::vector<uint8_t> piece(sizeof h + n);
    std::memcpy(piece.data(), &h, sizeof h);
    std::memcpy(piece.data() + sizeof h, p, n);
    backlog_.push_back(std::move(piece));
    p += n;
    left -= n;
  }
  if (shared_pair_) after_pieces(d);
  return true;
}

// Writes the bundle. If the pair cannot take it now it moves to the backlog
// (one copy), in order, and the pair's POLLOUT resumes it.
void Conn::flush_deliveries() {
  DeliveryBatch& b = delivery_batch();
  b.full = false;
  if (b.count == 0) return;
  msghdr m{};
  m.msg_iov = b.iov;
  m.msg_iovlen = 2 * b.count;
  ssize_t n;
  do {
    n = sys::sendmsg(pair_, &m, MSG_DONTWAIT | MSG_NOSIGNAL);
  } while (n < 0 && errno == EINTR);
  // Any other error: the application closed its end, and Linux discards
  // data for a closed socket.
  if (n < 0 && (errno == EAGAIN || errno == ENOBUFS)) {
    std::vector<uint8_t> bundle(b.bytes);
    size_t off = 0;
    for (unsigned i = 0; i < 2 * b.count; ++i) {
      std::memcpy(bundle.data() + off, b.iov[i].iov_base, b.iov[i].iov_len);
      off += b.iov[i].iov_len;
    }
    backlog_.push_back(std::move(bundle));
    arm_pair_out();
  }
  b.count = 0;
  b.bytes = 0;
}

// Reactor-thread buffers shared by every Conn: an idle association then holds
// no receive or scratch memory of its own (the idle-RSS figure). The receive
// buffer is also an application thread's in read_tcp_from_app (thread_local,
// as delivery_batch()).
Conn::RxBuffer& Conn::shared_rx() {
  thread_local auto* b = new RxBuffer();
  return *b;
}

std::vector<uint8_t>& Conn::shared_scratch() {
  static auto* b = new std::vector<uint8_t>(kPairMessageMax);
  return *b;
}

// Hands bytes to the association; returns how many it consumed and records
// whether the application refused a delivery (then reading TCP pauses).
size_t Conn::feed(const uint8_t* data, size_t len, Instant now) {
  assoc_.report_dry(events() & event_bit(SCTP_SENDER_DRY_EVENT));  // the subscription may have changed
  assoc_.set_pd_point(sock_->pd_point.load(std::memory_order_relaxed));  // SCTP_PARTIAL_DELIVERY_POINT may have too
  size_t used = 0;
  while (used < len) {
    size_t step = assoc_.receive(wire::Bytes(data + used, len - used), now, *this);
    used += step;
    if (delivery_batch().count) last_data_ = now;
    const bool batch_full = delivery_batch().full;
    flush_deliveries();
    if (events_first_) {  // the association stopped at a DATA chunk behind an event
      if (on_app_thread_) {  // the rest waits in rx_ for the engine
        engine_owed_ = true;
        break;
      }
      events_first_ = false;
      handle_events(now);
      if (finished_) break;
      continue;  // handle_events() drained them all: the DATA goes now
    }
    if (!batch_full || !backlog_.empty() || step == 0 || finished_) break;
  }
  bool refused = pair_out_ != nullptr || !backlog_.empty() || gate_wait_;
  if (refused != inbound_paused_) {
    inbound_paused_ = refused;
    assoc_.set_inbound_paused(refused, now);
  }
  return used;
}

void Conn::read_tcp(Instant now) {
  RxBuffer& buf = shared_rx();
  for (int round = 0; !finished_; ++round) {
    if (round == 16) {
      continue_later(&Conn::read_tcp);  // fairness; the poll may not fire again
      break;
    }
    // Leftover bytes (a partial chunk, or what a slow application refused) go first.
    size_t lead = rx_.size();
    if (lead) std::memcpy(buf.data(), rx_.data(), lead);
    rx_.clear();
    // Not reading (end of file seen, paused, buffer full) is "nothing now",
    // never 0: that is end of file.
    ssize_t n = -1;
    int err = EAGAIN;
    if (!tcp_eof_ && !inbound_paused_ && lead < buf.size()) {
      n = sys::recv(tcp_, buf.data() + lead, buf.size() - lead, MSG_DONTWAIT);
      err = n < 0 ? errno : 0;
    }
    size_t total = lead + static_cast<size_t>(n > 0 ? n : 0);
    size_t used = feed(buf.data(), total, now);
    if (used < total) rx_.assign(buf.data() + used, buf.data() + total);
    if (rx_.empty() && rx_.capacity() > 65536) std::vector<uint8_t>().swap(rx_);
    if (n > 0 && !inbound_paused_) continue;
    if (n == 0 && !tcp_eof_) tcp_eof_ = true;
    if (n < 0 && err != EAGAIN && err != EINTR) {
      tcp_error_ = true;
      assoc_.on_transport_error(err == ECONNRESET || err == EPIPE, now);
      break;
    }
    if (tcp_eof_ && !eof_reported_ && (rx_.empty() || !inbound_paused_)) {
      eof_reported_ = true;  // every whole chunk before the FIN has been taken
      assoc_.on_eof(now);
    }
    break;
  }
  pump(now);
  arm_tcp_in();
  if (pair_waiting()) {  // ACKs may have made room
    bool was_eof_pending = pair_eof_;
    pull_app(now);
    if (was_eof_pending && held_.empty() && !finished_) {
      assoc_.shutdown(now);  // the application's close() waited behind held messages
      pump(now);
    }
  }
}

// A message then costs one wake-up, this thread's, instead of two in a row
// (the engine's, then the application's). Only in the plain established
// state, one read, no watch, timer or event touched: what needs the reactor
// is left to the engine, which is asked to go on from rx_. The engine's own
// watch may fire for the same bytes; whoever holds tx_mu first reads them.
Conn::AppRead Conn::read_tcp_from_app(int* wait_fd) {
  if (finished_ || !up_ || tcp_eof_ || inbound_paused_ || !backlog_.empty() || !rx_.empty() || events_first_ ||
      assoc_.event_pending() || assoc_.state() != assoc::State::kEstablished) {
    return AppRead::kEngine;
  }
  RxBuffer& buf = shared_rx();
  ssize_t n = sys::recv(tcp_, buf.data(), buf.size(), MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
    ++app_waiting_;
    *wait_fd = tcp_;
    return AppRead::kEmpty;
  }
  Instant now = reactor_.now();
  size_t used = 0;
  if (n > 0) {
    on_app_thread_ = true;
    used = feed(buf.data(), static_cast<size_t>(n), now);
    on_app_thread_ = false;
    if (used < static_cast<size_t>(n)) rx_.assign(buf.data() + used, buf.data() + n);
    if (static_cast<size_t>(n) == buf.size()) engine_owed_ = true;  // more may wait, and no poll fires for it
    write_now();  // ACKs and HEARTBEAT-ACKs
    if (sock_->tx_waiters.load(std::memory_order_relaxed)) sock_->tx_cv.notify_all();  // ACKs made room
  }
  // End of file and errors are the engine's to report.
  if (n <= 0 || engine_owed_ || !rx_.empty() || assoc_.event_pending() || assoc_.state() != assoc::State::kEstablished) {
    engine_owed_ = false;
    post_read();
  }
  return n > 0 ? AppRead::kRead : AppRead::kEngine;
}

// The engine takes the TCP socket back: at once if this thread stops here;
// else (it reads now) by kParkedRearm, since in a loop of blocking recvmsg it
// comes back to wait before that and the engine is never needed.
void Conn::app_wait_done(bool reading) {
  --app_waiting_;
  if (!tcp_parked_ || rearm_posted_) return;
  rearm_posted_ = true;
  auto rearm = [s = sock_, id = assoc_id_] {
    std::lock_guard lock(s->tx_mu);
    Conn* c = s->conn_for(id);
    if (!c) return;
    c->rearm_posted_ = false;
    if (c->app_waiting_ || !c->tcp_parked_) return;  // an application thread holds it again
    c->tcp_parked_ = false;
    c->read_tcp(c->reactor_.now());  // what came meanwhile; arms the watch
  };
  if (reading) {
    reactor_.post_by(std::move(rearm), reactor_.now() + kParkedRearm);
  } else {
    reactor_.post(std::move(rearm));
  }
}

void Conn::post_read() {
  reactor_.post([s = sock_, id = assoc_id_] {
    std::lock_guard lock(s->tx_mu);
    if (Conn* c = s->conn_for(id)) c->read_tcp(c->reactor_.now());
  });
}

// Messages the application sent, read in batches of up to kPairBatch with one
// recvmmsg: one system call per batch instead of one per message.
struct PairBatch {
  static constexpr unsigned kSize = 32;
  ToEngine hdr[kSize];
  iovec iov[kSize][2];
  mmsghdr mm[kSize];
  std::vector<uint8_t> data = std::vector<uint8_t>(kSize * kPairMessageMax);
  uint8_t* slot(unsigned i) { return data.data() + i * kPairMessageMax; }
};

static PairBatch& pair_batch() {
  static auto* b = new PairBatch();  // reactor thread only
  return *b;
}

// Moves held messages into the association while it has room. False while
// some are still held.
bool Conn::send_held(Instant now) {
  while (!held_.empty()) {
    if (drop_expired(held_.front(), now)) {
      held_bytes_ -= held_.front().payload.size();
      held_.pop_front();
      continue;
    }
    if (must_wait_after_flush(held_.front(), now)) return false;
    if (!assoc_.can_send(held_.front().payload.size())) {
      SCTPMAP_LOG(kDebug, "assoc %d: send buffer full (%zu bytes un-ACKed), holding %zu message(s)", assoc_id_,
                  assoc_.unacked_bytes(), held_.size());
      return false;
    }
    assoc::Message m = std::move(held_.front());
    held_.pop_front();
    held_bytes_ -= m.payload.size();
    submit(std::move(m), now);
  }
  if (app_eof_pending_ && !finished_) {
    app_eof_pending_ = false;  // SCTP_EOF or close() that waited behind held messages
    assoc_.shutdown(now);
  }
  return true;
}

void Conn::read_pair(Instant now) {
  if (!up_ || finished_) return;
  PairBatch& b = pair_batch();
  for (int round = 0;; ++round) {
    if (round == 16) {
      continue_later(&Conn::read_pair);  // fairness; the poll may not fire again
      break;
    }
    if (!send_held(now)) break;
    if (pair_eof_ || assoc_.pending_tx().size() > kTxHighWater) break;
    for (unsigned i = 0; i < PairBatch::kSize; ++i) {
      b.iov[i][0] = {&b.hdr[i], sizeof(ToEngine)};
      b.iov[i][1] = {b.slot(i), kPairMessageMax};
      b.mm[i] = mmsghdr{};
      b.mm[i].msg_hdr.msg_iov = b.iov[i];
      b.mm[i].msg_hdr.msg_iovlen = 2;
    }
    int n = static_cast<int>(::syscall(SYS_recvmmsg, pair_, b.mm, PairBatch::kSize, MSG_DONTWAIT, nullptr));
    if (n < 0) {
      // An application closing its end with unread notifications makes the
      // next read fail once with ECONNRESET (unix_release_sock); what it sent
      // before closing is still queued behind that error.
      if (errno == ECONNRESET || errno == EINTR) continue;
      if (errno != EAGAIN) SCTPMAP_LOG(kWarn, "assoc %d: reading from the application failed: %s", assoc_id_, strerror(errno));
      // At exit the process never closes its fds: an empty pair is its close().
      if (exiting_ && errno == EAGAIN && held_.empty()) assoc_.shutdown(now);
      break;
    }
    for (int i = 0; i < n && !finished_; ++i) {
      if (b.mm[i].msg_len != 0 && b.hdr[i].kind == ToEngineKind::kData) sock_->pair_data_queued.fetch_sub(1);
      if (b.mm[i].msg_len == 0) {
        pair_eof_ = true;  // close() or shutdown(SHUT_WR) by the application
        if (sock_->abort_on_close()) {
          abort_local();
          return;
        }
        if (held_.empty()) assoc_.shutdown(now);
        break;
      }
      take_app_message(b.hdr[i], b.slot(i), b.mm[i].msg_len - sizeof(ToEngine), now);
    }
    if (n < static_cast<int>(PairBatch::kSize) || pair_eof_) break;
  }
  pump(now);
}

// The association's view of a message the application wrote: the PPID goes
// on the wire in the byte order the user gave it (RFC 6458: opaque), and the
// encoder writes network order, hence ntohl here and htonl on the way back.
assoc::Message Conn::app_message(const ToEngine& h, const uint8_t* data, size_t len) {
  assoc::Message msg;
  msg.sid = h.sid;
  msg.ppid = ntohl(h.ppid);
  msg.flags = h.flags;
  msg.context = h.context;
  if (h.ttl != 0) msg.expires = Instant{h.expires_ns};
  msg.payload.assign(data, data + len);
  return msg;
}

bool Conn::must_wait_after_flush(const assoc::Message& m, Instant now) {
  if (!must_wait(m.has_ttl())) return false;
  flush_tx(now);
  return must_wait(m.has_ttl());
}

bool Conn::drop_expired(assoc::Message& m, Instant now) {
  if (m.expires > now) return false;  // kNoExpiry never passes: no clock read for it
  report_unsent(m);
  return true;
}

// One message from the application (one-to-one).
void Conn::take_app_message(const ToEngine& h, const uint8_t* data, size_t len, Instant now) {
  // SCTP_EOF and SCTP_ABORT never come this way: a one-to-one sendmsg refuses
  // them (EINVAL, as Linux); a one-to-many socket's go through take_from_hub.
  if (h.kind == ToEngineKind::kFiller) return;
  assoc::Message msg = app_message(h, data, len);
  if (drop_expired(msg, now)) return;
  if (!held_.empty() || !assoc_.can_send(len) || must_wait_after_flush(msg, now)) {
    held_bytes_ += msg.payload.size();
    held_.push_back(std::move(msg));  // keeps order behind what is already held
    return;
  }
  submit(std::move(msg), now);
}

// The application's sendmsg() already succeeded for `msg`. If the association
// no longer takes data (the peer's SHUTDOWN arrived while it sat in the pair),
// it comes back as SEND_FAILED / SCTP_DATA_UNSENT rather than vanishing.
void Conn::submit(assoc::Message msg, Instant now) {
  last_data_ = now;
  // Too large for what the peer turned out to take (sent before COMM_UP
  // told us): it comes back, not silently lost.
  if (assoc_.state() != assoc::State::kEstablished || msg.payload.size() > assoc_.max_message()) {
    report_unsent(msg);
    return;
  }
  auto r = assoc_.send(std::move(msg), now);
  if (!r) SCTPMAP_LOG(kWarn, "assoc %d: message refused by the association (%d)", assoc_id_, static_cast<int>(r.error()));
}

void Conn::flush_tx(Instant now) {
  for (;;) {
    wire::Bytes tx = assoc_.pending_tx();
    if (tx.empty() || tcp_out_) return;
    ssize_t n = sys::send(tcp_, tx.data(), tx.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n > 0) {
      assoc_.consume_tx(static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
      arm_tcp_out();
      return;
    }
    assoc_.on_transport_error(errno == ECONNRESET || errno == EPIPE, now);
    return;
  }
}

void Conn::pump(Instant now) {
  if (finished_) return;
  for (int guard = 0; guard < 4; ++guard) {
    handle_events(now);
    if (finished_) return;
    flush_tx(now);
    if (assoc_.wants_fin() && !fin_sent_ && assoc_.pending_tx().empty()) {
      sys::shutdown(tcp_, SHUT_WR);
      fin_sent_ = true;
      assoc_.fin_sent(now);
      guard_token_ = reactor_.schedule(now + 5 * assoc_.config().rto_max, &guard_port_);
      continue;
    }
    break;
  }
  handle_events(now);
  if (finished_) return;
  if (assoc_.state() == assoc::State::kDone) {
    finish();
    return;
  }
  rearm_timer();
  if (sock_->tx_waiters.load(std::memory_order_relaxed)) sock_->tx_cv.notify_all();  // Socket::send_large
}

// Work left after a fairness budget: the multishot poll only fires on new
// readiness, so nothing else would come back to it.
void Conn::continue_later(void (Conn::*fn)(Instant)) {
  reactor_.post([this, fn] {
    std::lock_guard lock(sock_->tx_mu);
    if (!finished_) (this->*fn)(reactor_.now());
  });
}

void Conn::arm_pair_out() {
  if (on_app_thread_) {
    engine_owed_ = true;
    return;
  }
  if (!pair_out_) pair_out_ = reactor_.watch(pair_, POLLOUT, &pair_out_port_, false);
}

void Conn::arm_tcp_out() {
  if (on_app_thread_) {
    engine_owed_ = true;
    return;
  }
  if (!tcp_out_) tcp_out_ = reactor_.watch(tcp_, POLLOUT, &tcp_out_port_, false);
}

void Conn::rearm_timer() {
  std::optional<Instant> at = assoc_.next_deadline();
  if (at == timer_at_) return;
  if (timer_token_) reactor_.cancel_timer(timer_token_);
  timer_token_ = 0;
  timer_at_ = at;
  if (at) timer_token_ = reactor_.schedule(*at, this);
}

void Conn::start_exit_drain() {
  exiting_ = true;
  Instant now = reactor_.now();
  if (hub_) {
    hub_->exit_drain(now);  // reads the shared pair, then shuts every association down
    return;
  }
  if (!up_) return;
  read_pair(now);
}

void Conn::report() const {
  SCTPMAP_LOG(kWarn,
              "assoc %d: state %d, %u un-ACKed (%zu bytes), %zu bytes unwritten, held %d, rx %zu bytes, "
              "paused %d, pair_out %d, tcp_out %d, backlog %zu, pair_eof %d, tcp_eof %d, taken %u acked %u, "
              "partial delivery %d (gate held %d, waiting %d)",
              assoc_id_, static_cast<int>(assoc_.state()), assoc_.unacked_count(), assoc_.unacked_bytes(),
              assoc_.pending_tx().size(), static_cast<int>(held_.size()), rx_.size(), inbound_paused_,
              pair_out_ != nullptr, tcp_out_ != nullptr, backlog_.size(), pair_eof_, tcp_eof_, doorbell_->taken.load(), acked_,
              pd_open_, gate_held_, gate_wait_);
}

bool Conn::drained() const {
  if (finished_) return true;
  // Still coming up: done only if nothing waits to be sent once it is up
  // (a one-to-many send, or a non-blocking connect, may exit right away).
  if (!up_) return !pair_waiting();
  auto s = assoc_.state();
  return (s == assoc::State::kShutdownSent || s == assoc::State::kDone) && assoc_.pending_tx().empty();
}

}  // namespace sctpmap::socket
