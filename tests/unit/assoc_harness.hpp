// SPDX-License-Identifier: MIT
// Two Associations joined by in-memory byte pipes on a simulated clock: a test
// double for two engines and the TCP connection between them.
//
// Each direction is a pipe with a latency and a window (bytes in flight plus
// bytes arrived but not yet read, like TCP's send and receive buffers). The
// harness writes pending_tx() into the pipe as far as the window allows, cuts
// what it writes into pieces of `chop` bytes (every split point gets its own
// receive() call), hands arrived bytes to receive(), takes delivered messages
// on behalf of the application (at once, or one every `take_every`), sends FIN
// when wants_fin() says so and turns arrivals of FIN or RST into on_eof() or
// on_transport_error(). Sides can be stalled (the engine stops reading TCP, as
// for a full application) or frozen (the whole host stops: no reads, writes or
// timers). step() jumps the clock to the next thing that can happen.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <vector>

#include "assoc/association.hpp"

namespace sctpmap::assoc::test {

// A copy of one Delivery, as the application sees it.
struct Received {
  Instant at;        // accepted by the sink
  Instant taken_at;  // taken by the application
  uint32_t tsn = 0;
  uint16_t sid = 0;
  uint16_t ssn = 0;
  uint32_t ppid = 0;
  bool unordered = false;
  std::vector<uint8_t> payload;
};

// One chunk a side wrote to TCP, parsed by the harness (not by the wire layer),
// stamped with the time its last byte was written.
struct ChunkSeen {
  Instant at;
  uint8_t type = 0;
  uint8_t flags = 0;
  uint16_t length = 0;
  std::vector<uint8_t> bytes;  // header and value, without padding
};

struct TimedEvent {
  Instant at;
  Event event;
};

class Endpoint final : public DeliverySink {
 public:
  explicit Endpoint(const Config& c) : assoc(c) {}
  bool deliver(const Delivery& d) override;

  Association assoc;
  // The application.
  size_t app_capacity = SIZE_MAX;        // the sink refuses beyond this many queued
  std::optional<Duration> take_every;    // unset: take every message at once
  bool manual = false;                   // the test calls Harness::take() itself
  std::deque<Received> app_queue;        // accepted by the sink, not taken yet
  std::vector<Received> taken;           // taken: delivered() was called
  // The host.
  bool stalled = false;  // the engine does not read TCP
  bool frozen = false;   // nothing at all runs
  bool report_pause = true;  // the engine tells the association when it stops reading
  // What happened.
  std::vector<TimedEvent> events;
  std::vector<ChunkSeen> sent;
  std::optional<Instant> fin_at;  // when this side's FIN went out

  // Helpers for tests.
  template <class T>
  std::vector<const T*> events_of() const {
    std::vector<const T*> out;
    for (const TimedEvent& e : events)
      if (const T* p = std::get_if<T>(&e.event)) out.push_back(p);
    return out;
  }
  std::vector<const ChunkSeen*> sent_of(uint8_t type) const;
  template <class T>
  std::optional<Instant> first_time() const {
    for (const TimedEvent& e : events)
      if (std::holds_alternative<T>(e.event)) return e.at;
    return std::nullopt;
  }

 private:
  friend class Harness;
  Instant now_;
  bool refused_ = false;
  Instant next_take_;
  std::vector<uint8_t> rx_;       // arrived, not yet consumed by receive()
  std::vector<uint8_t> scan_;     // written bytes not yet parsed into `sent`
  bool fin_arrived_ = false;
  bool eof_reported_ = false;
  bool fin_written_ = false;
};

class Harness {
 public:
  Harness(const Config& a, const Config& b);
  explicit Harness(const Config& both) : Harness(both, both) {}

  Endpoint& a() { return ends_[0]; }
  Endpoint& b() { return ends_[1]; }

  Instant now{};
  Duration latency{0};
  size_t window = 1u << 20;
  size_t chop = 0;  // 0: each write arrives in one piece

  void start();                       // start() on both sides at `now`
  void pump();                        // everything that can happen at `now`
  bool step();                        // advance to the next scheduled moment and pump
  void run_until(Instant t);
  void run_for(Duration d) { run_until(now + d); }
  // Runs until `pred()` holds or `limit` passes; returns pred().
  template <class Pred>
  bool run_until_pred(Pred pred, Duration limit) {
    const Instant end = now + limit;
    pump();
    while (!pred() && step() && now <= end) {
    }
    return pred();
  }

  void stall(Endpoint& e, bool on);   // also pauses/resumes its inbound
  void freeze(Endpoint& e) { e.frozen = true; }
  // The side's TCP sends FIN / RST now, behind everything it wrote, whatever
  // its association thinks (a crash, a draft peer, a test).
  void send_fin(Endpoint& from);
  void send_rst(Endpoint& from);
  // Raw bytes from `from`'s TCP, as if its association had written them.
  void inject(Endpoint& from, std::vector<uint8_t> bytes);
  // The application of `e` takes up to n messages now (manual readers).
  void take(Endpoint& e, size_t n);

 private:
  struct Piece {
    Instant at;
    std::vector<uint8_t> bytes;
    bool fin = false;
    bool rst = false;
  };
  struct Pipe {
    std::deque<Piece> in_flight;
    size_t bytes = 0;
    bool closed = false;  // FIN or RST queued: nothing more goes in
  };

  int index(const Endpoint& e) const { return &e == &ends_[0] ? 0 : 1; }
  Endpoint& peer(const Endpoint& e) { return ends_[1 - index(e)]; }
  Pipe& out_pipe(const Endpoint& e) { return pipes_[index(e)]; }

  bool run_timers(Endpoint& e);
  bool run_app(Endpoint& e);
  bool write_out(Endpoint& e);
  bool arrive(Endpoint& e);
  bool read_in(Endpoint& e);
  bool collect(Endpoint& e);
  void push_bytes(Endpoint& from, const uint8_t* p, size_t n);
  void scan(Endpoint& from, const uint8_t* p, size_t n);
  std::optional<Instant> next_time() const;

  Endpoint ends_[2];
  Pipe pipes_[2];  // pipes_[i] carries bytes from ends_[i] to the other side
  bool broken_ = false;
};

// A sink for tests that drive one Association by hand: copies what it
// accepts; `answers` scripts its replies (true once they run out).
struct CollectSink final : DeliverySink {
  std::vector<Received> got;
  std::vector<bool> answers;  // scripted answers; true once they run out
  size_t calls = 0;
  bool deliver(const Delivery& d) override {
    const bool ok = calls < answers.size() ? answers[calls] : true;
    ++calls;
    if (ok) {
      got.push_back(Received{Instant{}, Instant{}, d.tsn, d.sid, d.ssn, d.ppid, d.unordered,
                             std::vector<uint8_t>(d.payload.begin(), d.payload.end())});
    }
    return ok;
  }
};

// The bytes an association with config `c` writes at start() (INIT and,
// unless strict, CAPABILITY): a peer's opening, for hand-driven tests.
std::vector<uint8_t> start_bytes(const Config& c);

// An association with config `ours`, started, that has read `peer_start` (a
// peer's INIT and CAPABILITY) and is established; its own output and events
// so far are discarded.
Association established_after(const Config& ours, const std::vector<uint8_t>& peer_start);

// Feeds `t` to `b` in two receive() calls split at `cut`, keeping what the
// first call did not consume, as an engine does. Returns whether the second
// call consumed everything.
bool receive_in_two(Association& b, DeliverySink& sink, const std::vector<uint8_t>& t, size_t cut);

// A message of `size` bytes: payload[i] = fill + i.
Message make_message(size_t size, uint16_t sid = 0, uint32_t ppid = 0, uint32_t context = 0,
                     uint8_t fill = 0, uint16_t flags = 0);

}  // namespace sctpmap::assoc::test
