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
#include <memory>
#include <mutex>
#include <vector>

#include "socket/options.hpp"
#include "socket/pair_message.hpp"

namespace sctpmap::socket {

class Conn;
class Listener;

enum class Phase : uint8_t { kFresh, kListening, kConnecting, kEstablished, kShutdown, kClosed };

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
  ssize_t sendmsg(int fd, const msghdr* msg, int flags);
  ssize_t recvmsg(int fd, msghdr* msg, int flags);
  int shutdown(int fd, int how);
  int setsockopt(int level, int name, const void* val, socklen_t len);
  int getsockopt(int fd, int level, int name, void* val, socklen_t* len);
  int getsockname(sockaddr* addr, socklen_t* len);
  int getpeername(sockaddr* addr, socklen_t* len);
  // The last application fd referring to this socket is about to be closed.
  // `abort`: SO_LINGER {1,0} is set, so the association is reset, not shut down.
  void on_last_close();

  // --- engine side (reactor thread) ---
  void set_established(uint16_t os, uint16_t is, const sockaddr_storage& local, const sockaddr_storage& peer);
  void set_failed(int error, Phase phase);
  EventMask events() const { return events_.load(std::memory_order_relaxed); }
  uint32_t taken() const { return taken_.load(std::memory_order_acquire); }
  // SO_LINGER {1,0} was set at the last close(): the pair's EOF means abort.
  bool abort_on_close() const { return abort_on_close_.load(std::memory_order_acquire); }
  // The engine consumed the doorbell; returns the new taken count.
  uint32_t clear_ack_doorbell();

  const int domain;
  const int type;
  const int engine_fd;  // the engine's end of the pair
  const int32_t assoc_id;
  const unsigned fork_generation;  // sockets from before a fork() have no engine in the child

  std::mutex mu;
  Options opts;                 // under mu

  // The association lock: the engine holds it whenever it works on this
  // socket's Conn, and an application thread holds it to send through
  // `direct` (Conn::send_direct). Never taken while holding `mu`.
  std::mutex tx_mu;
  Conn* direct = nullptr;  // under tx_mu: set while application threads may send directly
  // Data messages written to the pair and not yet read by the engine. A
  // direct send must not overtake them.
  std::atomic<uint32_t> pair_data_queued{0};
  Phase phase = Phase::kFresh;  // under mu
  int pending_error = 0;        // under mu: SO_ERROR, and the errno of a failed read at EOF
  bool write_shut = false;      // under mu: shutdown(SHUT_WR) was called
  uint16_t outbound_streams = 0, inbound_streams = 0;  // under mu
  sockaddr_storage local{}, peer{};                     // under mu
  int tcp_fd = -1;              // under mu; handed to the engine by listen/connect
  Conn* conn = nullptr;         // reactor thread only
  Listener* listener = nullptr; // reactor thread only
  bool engine_fd_closed = false; // reactor thread only
  int accept_app_fd = -1;        // reactor thread only: the app end until accept() takes it

 private:
  Socket(int domain, int type, int engine_fd);
  void note_taken();
  int ensure_tcp_socket();
  ssize_t recv_eof(msghdr* msg);
  ssize_t recv_entry(int fd, msghdr* msg, int flags);
  ssize_t finish_recv(msghdr* msg, const ToApp& hdr, size_t len, bool last, int flags);
  int wait_connected(int fd);

  std::atomic<EventMask> events_{0};
  std::atomic<uint32_t> taken_{0};
  std::atomic<bool> ack_scheduled_{false};
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
};

int32_t next_assoc_id();
// Incremented in a fork()ed child: the parent's engine state is not ours.
unsigned fork_generation();

}  // namespace sctpmap::socket
