// SPDX-License-Identifier: MIT
// An emulated SCTP socket. The application holds one end of an AF_UNIX
// SOCK_SEQPACKET pair (a real kernel fd, so poll/select/epoll, blocking and
// O_NONBLOCK behave natively); the engine holds the other end.
//
// The app-side operations below are called by the preload on application
// threads. They return a value >= 0 or -errno (never touch errno). State shared
// with the engine thread is under `mu`; the ACK doorbell is lock-free.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "socket/options.hpp"
#include "socket/pair_message.hpp"

namespace sctpmap::socket {

class Conn;
class Hub;
class Listener;

enum class Phase : uint8_t { kFresh, kListening, kConnecting, kEstablished, kShutdown, kClosed };

// How many messages of one association the application has taken, for the
// ACKs (one per DATA, when the application takes it). Application threads
// count; the engine reads. Lock-free.
struct AckDoorbell {
  std::atomic<uint32_t> taken{0};
  std::atomic<uint32_t> acked{0};  // of those, ACKed (written by the Conn, under tx_mu)
  std::atomic<bool> scheduled{false};  // a task to ACK is posted to the engine
  size_t run_bytes = 0;  // taken since the last ACK: the reading side's (under its socket's rx_mu_)
  // One-to-many: the association's own event subscriptions (SCTP_EVENT with
  // its id), which its Conn filters notifications by. Rides here because
  // this block is already shared by the application side and the Conn.
  std::atomic<EventMask> events{0};
};

// One association of a one-to-many socket, as the application side sees it.
// An association's TCP path as the engine last saw it (COMM_UP, each
// SCTP_STATUS): what a fork()ed child, which has no engine and has closed
// the TCP sockets, reports for a socket it inherited.
struct PathFigures {
  uint32_t cwnd = 0, srtt_ms = 0, mtu = 0;
};

struct AssocInfo {
  Phase phase = Phase::kConnecting;
  PathFigures path;  // once up
  int error = 0;  // why it failed (connect() reports it)
  uint16_t outbound_streams = 0, inbound_streams = 0;
  sockaddr_storage peer{};
  sockaddr_storage local{};  // once up
  size_t max_message = 0;    // once up: the largest message it takes (fragmentation)
  std::shared_ptr<AckDoorbell> doorbell = std::make_shared<AckDoorbell>();
  // Its own values of the options that take an association id (copied from
  // the socket's when it starts; see per_assoc_option). Under mu.
  Options opts;
};

// What one sendmsg asks for (RFC 6458 5.3: SCTP_SNDRCV / SCTP_SNDINFO, or
// the socket's defaults).
struct SendParams {
  uint16_t sid = 0;
  uint16_t flags = 0;
  uint32_t ppid = 0;
  uint32_t context = 0;
  uint32_t ttl = 0;
  int32_t assoc_id = 0;
  bool given = false;  // by SCTP_SNDRCV / SCTP_SNDINFO, not the association's defaults

  static SendParams of(const sctp_sndrcvinfo& s) {
    return {s.sinfo_stream, s.sinfo_flags, s.sinfo_ppid, s.sinfo_context, s.sinfo_timetolive, s.sinfo_assoc_id};
  }
};

class Socket : public std::enable_shared_from_this<Socket> {
 public:
  // Creates the pair. `type_flags` may carry SOCK_NONBLOCK / SOCK_CLOEXEC.
  // Returns the application's fd or -errno; `out` receives the object.
  static int create(int domain, int type, int type_flags, std::shared_ptr<Socket>* out);
  // An accepted socket: pair made by the engine; options copied from the listener.
  static std::shared_ptr<Socket> make_accepted(const Socket& listener, int pair_app, int pair_engine);

  ~Socket();

  // --- application side (fd is the application's fd for this socket) ---
  int bind(const sockaddr* addr, socklen_t len);
  int listen(int backlog);
  // Returns the new fd; `out` receives its socket.
  int accept(int fd, sockaddr* addr, socklen_t* len, int flags, std::shared_ptr<Socket>* out);
  int connect(int fd, const sockaddr* addr, socklen_t len);
  // sctp_connectx: the packed addresses (`bytes` long) tried in order until
  // one connects (or starts to: -EINPROGRESS); `id` gets the association.
  int connectx(int fd, const void* addrs, size_t bytes, int32_t* id);
  // sctp_peeloff: association `id` of this one-to-many socket moves to a new
  // one-to-one socket; returns its fd (`flags`: SOCK_NONBLOCK, SOCK_CLOEXEC)
  // and `out` gets it. What it queued here and the application has not read
  // moves along, in order, ahead of anything it delivers later; so do its
  // option values and event subscriptions. `fd`: this socket's.
  int peeloff(int fd, int32_t id, int flags, std::shared_ptr<Socket>* out);
  ssize_t sendmsg(int fd, const msghdr* msg, int flags);
  bool one_to_many() const { return type == SOCK_SEQPACKET; }
  ssize_t recvmsg(int fd, msghdr* msg, int flags);
  int shutdown(int fd, int how);
  // SCTP_SOCKOPT_CONNECTX returns the new association's id (> 0), as Linux.
  int setsockopt(int fd, int level, int name, const void* val, socklen_t len);
  int getsockopt(int fd, int level, int name, void* val, socklen_t* len);
  int getsockname(sockaddr* addr, socklen_t* len);
  int getpeername(sockaddr* addr, socklen_t* len);
  // The last application fd referring to this socket is about to be closed.
  // `abort`: SO_LINGER {1,0} is set, so the association is reset, not shut down.
  void on_last_close();
  // SCTP_SENDER_DRY_EVENT was just subscribed: Linux reports it at once if
  // association `id` (one-to-one: the socket's) has nothing outstanding.
  void check_dry(int32_t id);

  // --- engine side (reactor thread) ---
  void set_established(uint16_t os, uint16_t is, const sockaddr_storage& local, const sockaddr_storage& peer);
  // One-to-many: an association's state changed (wakes connect()).
  void update_assoc(int32_t id, Phase phase, int error);
  EventMask events() const { return events_.load(std::memory_order_relaxed); }
  // SO_LINGER {1,0} was set at the last close(): the pair's EOF means abort.
  bool abort_on_close() const { return abort_on_close_.load(std::memory_order_acquire); }

  const int domain;
  const int type;
  const int engine_fd;  // the engine's end of the pair
  const int32_t assoc_id;  // one-to-one: the association's id
  // One-to-one: the association's ACK doorbell. One-to-many: per association.
  const std::shared_ptr<AckDoorbell> doorbell;
  const unsigned fork_generation;  // sockets from before a fork() have no engine in the child

  std::mutex mu;
  Options opts;                 // under mu

  // The association lock: the engine holds it whenever it works on this
  // socket's Conn, and an application thread holds it to send through
  // `direct` (Conn::send_direct). Never taken while holding `mu`.
  std::mutex tx_mu;
  Conn* direct = nullptr;  // under tx_mu: set while application threads may send directly
  std::unordered_map<int32_t, Conn*> direct_assocs;  // under tx_mu: the same, one-to-many
  // Data messages written to the pair and not yet read by the engine. A
  // direct send must not overtake them.
  std::atomic<uint32_t> pair_data_queued{0};
  // Application threads waiting (on tx_cv, with tx_mu) to send a message too
  // large for the pair; the engine wakes them whenever it has worked on a Conn.
  std::condition_variable tx_cv;
  std::atomic<uint32_t> tx_waiters{0};
  // opts.nodelay, for the sending path, which does not take mu.
  std::atomic<bool> nodelay{false};
  // opts.pd_point and opts.fragment_interleave, for the engine, which reads
  // them per TCP read or per partial delivery and does not take mu.
  std::atomic<uint32_t> pd_point{0};
  std::atomic<bool> fragment_interleave{false};
  // EMSGSIZE bound for an association whose own bound is `known` (0 before
  // COMM_UP: a provisional one). Caller holds mu.
  size_t message_limit(size_t known) const;
  Phase phase = Phase::kFresh;  // under mu
  int pending_error = 0;        // under mu: SO_ERROR, and the errno of a failed read at EOF
  size_t max_message = 0;       // under mu: one-to-one, from COMM_UP (0 before)
  PathFigures path;             // under mu: one-to-one, from COMM_UP
  bool write_shut = false;      // under mu: shutdown(SHUT_WR) was called
  uint16_t outbound_streams = 0, inbound_streams = 0;  // under mu
  sockaddr_storage local{}, peer{};                     // under mu
  int tcp_fd = -1;              // under mu; handed to the engine by listen/connect
  // sctp_bindx: addresses bound beside `local`, each with its own TCP socket
  // (same port), all listening once the socket listens. Under mu.
  std::vector<sockaddr_storage> extra_local;
  std::vector<int> extra_tcp_fds;
  Conn* conn = nullptr;         // reactor thread only
  Listener* listener = nullptr; // reactor thread only
  bool engine_fd_closed = false; // reactor thread only
  int accept_app_fd = -1;        // reactor thread only: the app end until accept() takes it

  // One-to-many (socket_many.cpp).
  std::map<int32_t, AssocInfo> assocs;  // under mu: live ones, and the latest ended ones
  std::condition_variable assoc_cv;     // with mu: an association came up or failed
  Hub* hub = nullptr;                   // reactor thread only
  // Reactor thread: the Conn of association `id` (one-to-one: the socket's).
  Conn* conn_for(int32_t id) const;
  int32_t last_connect_id = 0;          // under mu: of the latest connect()
  bool share_port = false;              // under mu: associations bind the socket's chosen port
  // The association to `addr`, or 0. Caller holds mu.
  int32_t find_assoc(const sockaddr_storage& addr) const;
  // A new association's registry entry: the socket's current option values
  // and event subscriptions. Caller holds mu.
  AssocInfo new_assoc(const sockaddr_storage& peer) const;
  // The option values an option with association id `id` reads or writes
  // (RFC 6458 8, Linux's sctp_id2assoc rules): the socket's own for one-to-one
  // sockets and SCTP_FUTURE_ASSOC; an association's for its id; on setting,
  // SCTP_CURRENT_ASSOC / SCTP_ALL_ASSOC where the option allows them. `ids`
  // gets the associations named. -EINVAL for an id the option refuses.
  // Caller holds mu.
  int option_targets(int name, int32_t id, bool setting, std::vector<Options*>* out, std::vector<int32_t>* ids);

 private:
  // `id`/`db`: a peeled-off association keeps its id and ACK count.
  Socket(int domain, int type, int engine_fd, int32_t id = 0, std::shared_ptr<AckDoorbell> db = nullptr);
  void note_taken(int32_t id, size_t len);
  static bool ack_due(AckDoorbell& db, size_t len);
  // One-to-many halves of the calls above (socket_many.cpp).
  int listen_many(int backlog);
  int connect_many(int fd, const sockaddr* addr, socklen_t len);
  ssize_t sendmsg_many(int fd, const msghdr* msg, int flags, SendParams p, size_t len);
  ssize_t send_to_engine(int fd, const msghdr* msg, int flags, const SendParams& p, size_t len);
  ssize_t send_large(int fd, const ToEngine& h, const msghdr* msg, size_t len, int flags);
  // Starts an association to `addr` (TCP connect + an engine Conn under the
  // socket's Hub); returns its id, or -errno. Caller holds mu.
  int32_t start_assoc(const sockaddr_storage& addr);
  void forget_ended_assocs();
  int ensure_tcp_socket();
  int share_local_port();
  // Listens on every bound address; `fds` gets the TCP sockets, now the
  // engine's. Caller holds mu.
  int start_listening(int backlog, std::vector<int>* fds);
  int bindx_add(const uint8_t* addrs, size_t bytes);
  int bindx_rem(const uint8_t* addrs, size_t bytes);
  ssize_t recv_eof(msghdr* msg);
  int wait_readable(int fd);
  ssize_t recv_locked(int fd, msghdr* msg, int flags, bool first_nowait);
  // Peeloff, on the engine thread for the application thread that holds
  // rx_mu_, with tx_mu held (no Conn writes to the pair meanwhile): takes
  // every bundle of association `id` out of the pair (and the unread rest of
  // rx_bundle_), in order; the others go back in theirs.
  std::deque<std::vector<uint8_t>> take_queued(int fd, int32_t id);
  ssize_t take_entry(int fd, msghdr* msg, int flags, ToApp* out, bool* whole);
  ssize_t recv_entry(int fd, msghdr* msg, int flags, ToApp* out, bool* whole);
  bool next_piece_ready(int fd, int32_t id, bool wait);
  ssize_t finish_recv(int fd, msghdr* msg, const ToApp& hdr, size_t len, bool last, int flags);
  bool peek_next(int fd, ToApp* next);
  int wait_connected(int fd);

  std::atomic<EventMask> events_{0};
  std::atomic<bool> abort_on_close_{false};

  // The front bundle, once it holds more than the application took in one
  // call: a copy of it (the bundle itself stays in the pair until its last
  // entry is read), the offset of the next entry, and how much of that
  // entry's payload was read already (SCTP partial reads). Under rx_mu_.
  std::mutex rx_mu_;
  std::vector<uint8_t> rx_bundle_;
  size_t rx_pos_ = 0;
  size_t partial_off_ = 0;

  friend int set_events_option(Socket&, int, const void*, socklen_t);
  friend int get_events_option(Socket&, int, void*, socklen_t*);
};

int32_t next_assoc_id();
// Big pair buffers so a burst of small messages does not stall on the pair.
void size_pair(int fd);
// Incremented in a fork()ed child: the parent's engine state is not ours.
unsigned fork_generation();

}  // namespace sctpmap::socket
