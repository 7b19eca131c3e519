// SPDX-License-Identifier: MIT
// One association as a deterministic state machine over one TCP connection.
//
// Inputs (all take `now`; the association never reads a clock):
//   start()            the TCP connection is established: queue INIT (+ CAPABILITY)
//   receive()          bytes read from TCP; data messages are handed to a sink
//   send()             a user message
//   delivered()        the application took `count` more messages: queue one ACK per DATA chunk
//   on_timeout()       next_deadline() was reached
//   set_inbound_paused() the engine stopped/resumed reading TCP (backpressure)
//   shutdown(), on_eof(), on_transport_error()
// Outputs (pulled):
//   pending_tx()/consume_tx()  bytes to write to TCP, in order
//   wants_fin()                all our DATA is ACKed after shutdown(): half-close now
//   next_deadline()            when to call on_timeout() next
//   poll_event()               notifications, in order
//   state()
// Single-threaded: the caller serialises all calls.
#pragma once

#include <deque>
#include <optional>
#include <vector>

#include "assoc/config.hpp"
#include "assoc/events.hpp"
#include "assoc/heartbeat.hpp"
#include "assoc/instant.hpp"
#include "assoc/rto.hpp"
#include "assoc/tx_buffer.hpp"
#include "assoc/unacked_queue.hpp"
#include "common/result.hpp"
#include "wire/codec.hpp"
#include "wire/reader.hpp"

namespace sctpmap::assoc {

enum class State : uint8_t {
  kClosed,        // before start()
  kInitSent,      // our INIT queued, peer's INIT not yet seen (or its CAPABILITY pending)
  kEstablished,   // CommUp reported
  kShutdownPending,  // shutdown() called; waiting for all our DATA to be ACKed
  kShutdownSent,     // FIN written (wants_fin() returned true); still reading
  kPeerShutdown,     // peer FIN seen; flushing our data, then FIN
  kDone,          // ShutdownComplete or CommLost reported; nothing more to do
};

// Where received DATA goes: one Delivery per whole user message. The sink sees
// views into the receive buffer (or, for a message that came in fragments,
// into the association's reassembly buffer), valid only during deliver(), and
// must copy what it keeps. Returning false means "no room now": the
// association stops before that chunk (for a fragmented message, the
// fragment that completed it or reached the partial delivery point; not
// consumed, and its bytes not kept) and the caller retries later.
struct Delivery {
  uint32_t tsn = 0;  // of the message's first (or only) DATA chunk, as Linux's sinfo_tsn
  uint16_t sid = 0;
  uint16_t ssn = 0;
  uint32_t ppid = 0;
  bool unordered = false;
  wire::Bytes payload;
  // Partial delivery (Config::partial_delivery or Config::pd_point): this
  // is part of a message, one fragment or the first ones; `more` when
  // others follow.
  bool piece = false;
  bool more = false;
};

class DeliverySink {
 public:
  virtual bool deliver(const Delivery& d) = 0;

 protected:
  ~DeliverySink() = default;
};

enum class SendError : uint8_t {
  kTooBig,        // EMSGSIZE: beyond max_message()
  kEmpty,         // EINVAL: zero-length message
  kInvalidStream, // EINVAL: sid >= negotiated outbound streams
  kNoBuffer,      // EAGAIN: un-ACKed + queued bytes would exceed sndbuf
  kShutdown,      // EPIPE: shutdown started or association gone
  kNotUp,         // the association is not established yet (queueing is the caller's choice)
};

enum class TimerKind : uint8_t { kHeartbeat, kCapabilityWait, kCount };

class Association {
 public:
  explicit Association(const Config& config);

  void start(Instant now);

  // Parses as many whole chunks from the front of `bytes` as possible. Returns
  // the bytes consumed; the caller keeps the rest and calls again with more.
  // Stops early when the sink refuses a delivery. A protocol error ends the
  // association (CommLost{kProtocolError} + SendFailed events) and consumes all.
  size_t receive(wire::Bytes bytes, Instant now, DeliverySink& sink);

  // Queues one user message: one DATA chunk, or, when fragmentation is
  // negotiated and it exceeds fragment_point(), consecutive DATA fragments
  // written back to back (docs/PROTOCOL.md 15.3). Errors in SendError.
  Result<void, SendError> send(Message message, Instant now);
  // True when a message of `len` bytes fits in the send buffer now.
  bool can_send(size_t len) const;
  // PR-SCTP time-to-live (Message::expires): the newest message carries a
  // deadline and none of its bytes are written yet. on_timeout() takes it
  // back once the deadline passes (SendFailed, SCTP_DATA_UNSENT, in the
  // order of the events): only the newest message, so no later TSN or SSN
  // needs renumbering, which is why callers send nothing behind it while
  // this is true. next_deadline() includes its deadline.
  bool unwritten_ttl_tail() const;
  // The largest message send() takes now (EMSGSIZE above it); valid after
  // CommUp. fragment_point() unless fragmentation is negotiated; then the
  // smaller of Config::max_message, the peer's max message and Config::sndbuf
  // (Linux: EMSGSIZE for a message larger than SO_SNDBUF), but never less
  // than fragment_point(). Follows update_config() of max_message / sndbuf.
  size_t max_message() const;
  // User data bytes one DATA chunk carries (65519 with every field present):
  // SCTP_STATUS sstat_fragmentation_point, SCTP_MAXSEG.
  size_t fragment_point() const;
  // Both sides announced fragmentation (after CommUp).
  bool fragmentation() const;

  // The application took `count` more delivered *messages*: queues one ACK per
  // DATA chunk they came in (draft section 3), in TSN order.
  void delivered(uint32_t count, Instant now);
  void on_timeout(Instant now);
  void set_inbound_paused(bool paused, Instant now);

  void shutdown(Instant now);                    // graceful: drain, then FIN
  void on_eof(Instant now);                      // peer FIN
  void on_transport_error(bool reset, Instant now);  // RST (reset) or another socket error
  void abort(Instant now);                       // local abort: caller sends RST; un-ACKed -> SendFailed

  wire::Bytes pending_tx() const;
  void consume_tx(size_t n);
  bool wants_fin() const;
  void fin_sent(Instant now);

  std::optional<Instant> next_deadline() const;
  std::optional<Event> poll_event();
  // An event is waiting to be polled (a sink may want it out before the
  // DATA that followed it, e.g. CommUp before the first message).
  bool event_pending() const { return !events_.empty(); }
  State state() const;
  // Up, and no message of ours is un-ACKed (written or not): what
  // SCTP_SENDER_DRY_EVENT reports (also at once when subscribed then).
  bool dry() const;
  // Whether an ACK that leaves nothing outstanding queues SenderDry: only
  // while the application subscribes to it, so that ACKs leave no event
  // for the owner to handle otherwise.
  void report_dry(bool on) { report_dry_ = on; }

  // Introspection for SCTP_STATUS / SCTP_RTOINFO / tests.
  Duration rto() const;
  Duration srtt() const;
  uint32_t unacked_count() const;
  size_t unacked_bytes() const;
  uint16_t error_count() const;
  uint16_t outbound_streams() const;
  uint16_t inbound_streams() const;
  uint32_t next_tsn() const;
  const Config& config() const;
  void update_config(const Config& c);  // takes effect from the next timer
  // SCTP_PARTIAL_DELIVERY_POINT changed (Config::pd_point): from the next
  // fragment on; a message already in partial delivery stays in it.
  void set_pd_point(size_t bytes) { config_.pd_point = bytes; }

 private:
  // Implementation-defined members go here (see association.cpp).
  enum class Step : uint8_t { kNext, kRefused, kFailed };

  // association_rx.cpp: one decoded chunk each.
  Step on_chunk(const wire::Chunk& chunk, Instant now, DeliverySink& sink);
  Step on_data(const wire::Data& d, DeliverySink& sink);      // association_data.cpp
  void write_acks(uint64_t chunks);                           // association_data.cpp
  Step on_fragment(const wire::Data& d, DeliverySink& sink);  // association_data.cpp
  Step deliver_fragment(const wire::Data& d, DeliverySink& sink);
  bool reached_pd_point() const;
  void release_reassembly_buffer();
  void reset_reassembly();
  void expire_tail(Instant now);  // association_data.cpp
  Step on_ack(const wire::Ack& a);
  Step on_capability(const wire::Capability& c, Instant now);
  void on_shutdown_chunk();
  void maybe_send_shutdown();  // extension mode: SHUTDOWN once all our DATA is ACKed
  void on_heartbeat_ack(wire::Bytes info, Instant now);
  void on_error_chunk(wire::Bytes causes);
  void on_skipped(const wire::Skipped& s);
  void clear_errors(PathReason why);  // the peer answered: error counter to 0, path up
  void abort_partial();  // a message half delivered in pieces will never end
  void comm_up(uint16_t outbound, uint16_t inbound, Instant now);

  // association_close.cpp: endings and timers.
  void fail(LossReason reason, wire::Error error = {});
  void finish(Event event);
  void send_heartbeat(Instant now);
  bool heartbeat_running() const;
  bool can_write() const;  // false once our FIN is out
  void saw(Instant now);

  Config config_;
  uint8_t our_init_flags_ = 0;  // exactly what our INIT carries
  wire::DataFormat our_format_;
  wire::Capability announced_;  // stream counts fixed at start()
  State state_ = State::kClosed;
  bool shutdown_requested_ = false;  // shutdown() before CommUp: drain once up
  // Extension mode (the peer sent CAPABILITY, we are not strict): SCTP's
  // SHUTDOWN travels as our SHUTDOWN chunk, so both sides keep ACKing until
  // the FINs (docs/PROTOCOL.md, "Shutdown and abort").
  bool ext_ = false;
  bool shutdown_chunk_sent_ = false;
  bool peer_shutdown_chunk_ = false;
  bool peer_fin_ = false;
  bool inbound_paused_ = false;
  bool peer_error_report_ = false;  // the peer's CAPABILITY announced kFeatureErrorReport
  bool path_down_ = false;          // SCTP_ADDR_UNREACHABLE reported, not yet AVAILABLE again
  uint16_t error_count_ = 0;
  uint16_t out_streams_ = 0;
  uint16_t in_streams_ = 0;
  uint32_t next_tsn_ = 0;
  // Receive side (association_data.cpp). Per message the sink accepted and the
  // application did not take yet: how many DATA chunks it came in.
  std::deque<uint32_t> handed_chunks_;
  uint64_t acked_ = 0;   // DATA chunks ACKed (or counted after FIN); the next ACK's TSN
  // Reassembly of the one fragmented message in progress (docs/PROTOCOL.md 15.4).
  std::vector<uint8_t> rx_msg_;
  Delivery rx_first_;     // its first fragment's fields (payload unused)
  uint32_t rx_chunks_ = 0;  // fragments appended or handed out so far
  bool rx_pd_open_ = false; // pieces of a message handed out, its last not yet
  Instant last_now_{};   // latest `now` seen, for update_config()
  wire::ChunkReader reader_;
  TxBuffer tx_;
  UnackedQueue unacked_;
  std::vector<uint16_t> next_ssn_;  // per outbound stream, ordered messages only
  std::deque<Event> events_;
  bool report_dry_ = false;
  RtoEstimator rto_;
  HeartbeatTimer hb_;
};

}  // namespace sctpmap::assoc
