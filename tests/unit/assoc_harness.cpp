// SPDX-License-Identifier: MIT
#include "assoc_harness.hpp"

#include <algorithm>

#include <gtest/gtest.h>

namespace sctpmap::assoc::test {

bool Endpoint::deliver(const Delivery& d) {
  if (app_queue.size() >= app_capacity) {
    refused_ = true;
    return false;
  }
  app_queue.push_back(Received{now_, now_, d.tsn, d.sid, d.ssn, d.ppid, d.unordered,
                               std::vector<uint8_t>(d.payload.begin(), d.payload.end())});
  return true;
}

std::vector<const ChunkSeen*> Endpoint::sent_of(uint8_t type) const {
  std::vector<const ChunkSeen*> out;
  for (const ChunkSeen& c : sent)
    if (c.type == type) out.push_back(&c);
  return out;
}

Harness::Harness(const Config& a, const Config& b) : ends_{Endpoint(a), Endpoint(b)} {}

void Harness::start() {
  for (Endpoint& e : ends_) e.assoc.start(now);
  pump();
}

void Harness::stall(Endpoint& e, bool on) {
  e.stalled = on;
  if (e.report_pause) e.assoc.set_inbound_paused(on, now);
  pump();
}

void Harness::send_fin(Endpoint& from) {
  Pipe& p = out_pipe(from);
  if (p.closed) return;
  p.in_flight.push_back(Piece{now + latency, {}, true, false});
  p.closed = true;
  from.fin_at = now;
}

void Harness::send_rst(Endpoint& from) {
  Pipe& p = out_pipe(from);
  p.in_flight.push_back(Piece{now + latency, {}, false, true});
  p.closed = true;
}

void Harness::inject(Endpoint& from, std::vector<uint8_t> bytes) {
  push_bytes(from, bytes.data(), bytes.size());
}

void Harness::take(Endpoint& e, size_t n) {
  size_t k = 0;
  while (k < n && !e.app_queue.empty()) {
    e.taken.push_back(std::move(e.app_queue.front()));
    e.taken.back().taken_at = now;
    e.app_queue.pop_front();
    ++k;
  }
  if (k == 0) return;
  e.assoc.delivered(static_cast<uint32_t>(k), now);
  if (e.refused_ && !e.stalled) {  // room again: the engine resumes reading
    e.refused_ = false;
    if (e.report_pause) e.assoc.set_inbound_paused(false, now);
  }
}

void Harness::push_bytes(Endpoint& from, const uint8_t* p, size_t n) {
  Pipe& pipe = out_pipe(from);
  const size_t piece = chop == 0 ? n : chop;
  for (size_t off = 0; off < n; off += piece) {
    const size_t len = std::min(piece, n - off);
    pipe.in_flight.push_back(Piece{now + latency, std::vector<uint8_t>(p + off, p + off + len)});
    pipe.bytes += len;
  }
}

void Harness::scan(Endpoint& from, const uint8_t* p, size_t n) {
  // Parses the written stream by its Length fields alone, independently of the
  // wire layer, so tests can check exactly what went out and when.
  std::vector<uint8_t>& s = from.scan_;
  s.insert(s.end(), p, p + n);
  size_t off = 0;
  while (s.size() - off >= 4) {
    const uint16_t len = static_cast<uint16_t>((s[off + 2] << 8) | s[off + 3]);
    const size_t padded = (std::max<size_t>(len, 4) + 3) & ~size_t{3};
    if (s.size() - off < padded) break;
    from.sent.push_back(ChunkSeen{now, s[off], s[off + 1], len,
                                  std::vector<uint8_t>(s.begin() + off, s.begin() + off + len)});
    off += padded;
  }
  s.erase(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(off));
}

bool Harness::run_timers(Endpoint& e) {
  const std::optional<Instant> d = e.assoc.next_deadline();
  if (!d || *d > now) return false;
  e.assoc.on_timeout(now);
  return true;
}

bool Harness::run_app(Endpoint& e) {
  if (e.manual) return false;
  if (!e.take_every) {
    if (e.app_queue.empty()) return false;
    take(e, e.app_queue.size());
    return true;
  }
  if (e.next_take_ > now) return false;
  e.next_take_ = now + *e.take_every;
  const bool any = !e.app_queue.empty();
  take(e, 1);
  return any;
}

bool Harness::write_out(Endpoint& e) {
  Pipe& pipe = out_pipe(e);
  if (pipe.closed || broken_) return false;
  const wire::Bytes pending = e.assoc.pending_tx();
  const size_t used = pipe.bytes + peer(e).rx_.size();
  const size_t room = window > used ? window - used : 0;
  const size_t n = std::min(pending.size(), room);
  bool progress = false;
  if (n > 0) {
    push_bytes(e, pending.data(), n);
    scan(e, pending.data(), n);
    e.assoc.consume_tx(n);
    progress = true;
  }
  if (e.assoc.wants_fin() && !e.fin_written_) {
    send_fin(e);
    e.fin_written_ = true;
    e.assoc.fin_sent(now);
    progress = true;
  }
  return progress;
}

bool Harness::read_in(Endpoint& e) {
  if (e.stalled || e.rx_.empty()) return false;
  e.now_ = now;
  const size_t used = e.assoc.receive(wire::Bytes(e.rx_), now, e);
  e.rx_.erase(e.rx_.begin(), e.rx_.begin() + static_cast<std::ptrdiff_t>(used));
  if (e.refused_ && e.report_pause) e.assoc.set_inbound_paused(true, now);
  return used > 0;
}

bool Harness::arrive(Endpoint& e) {
  // Pieces arrive one at a time, each followed by a read, so every split point
  // of the stream is seen by receive().
  Pipe& pipe = out_pipe(peer(e));
  bool progress = false;
  while (!pipe.in_flight.empty() && pipe.in_flight.front().at <= now) {
    Piece piece = std::move(pipe.in_flight.front());
    pipe.in_flight.pop_front();
    pipe.bytes -= piece.bytes.size();
    progress = true;
    if (piece.rst) {
      broken_ = true;
      e.rx_.clear();
      e.assoc.on_transport_error(true, now);
      continue;
    }
    if (piece.fin) e.fin_arrived_ = true;
    e.rx_.insert(e.rx_.end(), piece.bytes.begin(), piece.bytes.end());
    read_in(e);
  }
  if (e.fin_arrived_ && !e.eof_reported_ && e.rx_.empty() && !e.stalled) {
    e.eof_reported_ = true;
    e.assoc.on_eof(now);
    progress = true;
  }
  return progress;
}

bool Harness::collect(Endpoint& e) {
  bool any = false;
  while (std::optional<Event> ev = e.assoc.poll_event()) {
    e.events.push_back(TimedEvent{now, std::move(*ev)});
    any = true;
  }
  return any;
}

void Harness::pump() {
  for (Endpoint& e : ends_) e.now_ = now;
  bool progress = true;
  while (progress) {
    progress = false;
    for (Endpoint& e : ends_) {
      if (e.frozen) continue;
      progress |= run_timers(e);
      progress |= arrive(e);
      progress |= read_in(e);
      progress |= run_app(e);
      progress |= write_out(e);
      progress |= collect(e);
    }
  }
}

std::optional<Instant> Harness::next_time() const {
  std::optional<Instant> t;
  auto consider = [&](Instant x) {
    if (x > now && (!t || x < *t)) t = x;
  };
  for (int i = 0; i < 2; ++i) {
    const Endpoint& e = ends_[i];
    if (!pipes_[i].in_flight.empty()) consider(pipes_[i].in_flight.front().at);
    if (e.frozen) continue;
    if (std::optional<Instant> d = e.assoc.next_deadline()) consider(*d);
    if (e.take_every && !e.manual && !e.app_queue.empty()) consider(std::max(e.next_take_, now + Duration{1}));
  }
  return t;
}

bool Harness::step() {
  const std::optional<Instant> t = next_time();
  if (!t) return false;
  now = *t;
  pump();
  return true;
}

void Harness::run_until(Instant t) {
  pump();
  while (true) {
    const std::optional<Instant> next = next_time();
    if (!next || *next > t) break;
    now = *next;
    pump();
  }
  now = std::max(now, t);
  pump();
}

std::vector<uint8_t> start_bytes(const Config& c) {
  Association peer(c);
  peer.start(Instant{});
  return std::vector<uint8_t>(peer.pending_tx().begin(), peer.pending_tx().end());
}

Association established_after(const Config& ours, const std::vector<uint8_t>& peer_start) {
  Association a(ours);
  a.start(Instant{});
  CollectSink sink;
  EXPECT_EQ(a.receive(wire::Bytes(peer_start), Instant{}, sink), peer_start.size());
  EXPECT_EQ(a.state(), State::kEstablished);
  a.consume_tx(a.pending_tx().size());
  while (a.poll_event()) {
  }
  return a;
}

bool receive_in_two(Association& b, DeliverySink& sink, const std::vector<uint8_t>& t, size_t cut) {
  std::vector<uint8_t> buf(t.begin(), t.begin() + static_cast<std::ptrdiff_t>(cut));
  const size_t used = b.receive(wire::Bytes(buf), Instant{}, sink);
  EXPECT_LE(used, buf.size());
  buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(used));
  buf.insert(buf.end(), t.begin() + static_cast<std::ptrdiff_t>(cut), t.end());
  return b.receive(wire::Bytes(buf), Instant{}, sink) == buf.size();
}

Message make_message(size_t size, uint16_t sid, uint32_t ppid, uint32_t context, uint8_t fill,
                     uint16_t flags) {
  Message m;
  m.sid = sid;
  m.ppid = ppid;
  m.flags = flags;
  m.context = context;
  m.payload.resize(size);
  for (size_t i = 0; i < size; ++i) m.payload[i] = static_cast<uint8_t>(fill + i);
  return m;
}

}  // namespace sctpmap::assoc::test
