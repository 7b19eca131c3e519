// SPDX-License-Identifier: MIT
// The client/server process pair of sctpmap-perf and the plumbing around it.
//
// The parent (client) starts the server with fork() + exec() of its own binary
// ("--serve CMD_FD REPLY_FD") before it opens any socket. exec() matters: a
// fork()ed copy of a process whose libsctpmap already runs its reactor thread
// would hold the library's state without the thread; a fresh image starts
// clean. The parent then drives every measurement over two pipes: it writes a
// Command; the server answers with a Reply carrying the port it listens on
// (port 0 was bound) and, when the measurement ends, a second Reply with the
// counts it saw. Both are fixed-size structs well under PIPE_BUF.
//
// Every blocking step runs under a watchdog (alarm(2)) that prints what was
// being waited for and exits with kExitTimeout, so the tool always stops.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "transport.hpp"

namespace sctpmap::perf {

inline constexpr int kExitVerify = 1;   // a measurement or verification failed
inline constexpr int kExitUsage = 2;
inline constexpr int kExitTimeout = 3;  // the watchdog fired

enum class Op : uint8_t {
  kThroughput,   // accept one, count messages until EOF
  kPingPong,     // accept one, echo every message until EOF
  kIdleOpen,     // accept 1 warm-up + `count`, keep them open (3 replies:
                 // port, warm-up accepted and baseline taken, done)
  kIdleRelease,  // close what kIdleOpen or kManyIdleOpen accepted
  kManyThroughput,  // one server socket, `count` associations: count
                    // messages until all have ended (many.hpp)
  kManyIdleOpen,    // one one-to-many socket, 1 warm-up + `count` idle
                    // associations (3 replies, as kIdleOpen)
  kQuit,
};

struct Command {
  Op op;
  Transport transport;
  uint32_t size;       // message bytes
  uint32_t count;      // kIdleOpen, kManyIdleOpen: connections after the
                       // warm-up one; kManyThroughput: associations
  uint32_t timeout_s;  // watchdog for the server side of this step
};

struct Reply {
  int32_t ok;              // 1 or 0; when 0, error says why
  uint16_t port;           // first reply: the listening port
  uint64_t messages;       // messages received (verified)
  int64_t elapsed_ns;      // throughput: first message to EOF
  int64_t rss_delta;       // kIdleOpen: server RSS growth, bytes
  char error[400];
};

struct ServerChild {
  pid_t pid = -1;
  int cmd_fd = -1;    // parent writes Commands
  int reply_fd = -1;  // parent reads Replies
};

// Parent side. Returns 0 or -errno.
int spawn_server(ServerChild* child);
// Sends kQuit, waits a few seconds for the child, then kills it by pid.
void stop_server(ServerChild* child);
// Kills the child by pid at once; for error paths.
void kill_server(ServerChild* child);

// Whole-struct pipe I/O; false on EOF or error.
bool write_command(int fd, const Command& c);
bool read_command(int fd, Command* c);
bool write_reply(int fd, const Reply& r);
bool read_reply(int fd, Reply* r);
Reply ok_reply();

// Client side of a step: sends the command and reads the server's first
// reply (its port); then reads the closing reply, whose error wins over the
// client's (when the server finds a bad message it closes, and the client
// only sees EPIPE). Both return "" or what went wrong.
std::string start_step(ServerChild& srv, const Command& c, uint16_t* port);
std::string finish_step(ServerChild& srv, const std::string& client_err, Reply* r);
Reply error_reply(const std::string& what);

// Arms alarm(2) for `seconds`, replacing any pending one; on expiry prints
// "<role>: timed out during <what>" and _exit(kExitTimeout). `role` must be a
// string literal; `what` is copied (up to 199 bytes).
void set_watchdog_role(const char* role);
void arm_watchdog(const std::string& what, unsigned seconds);
// "the <transport> <test> (<size>-byte messages)"; no size part when size is 0.
std::string step_name(const char* test, Transport t, uint32_t size);
void disarm_watchdog();

// Resident set size of this process in bytes, from /proc/self/statm; -1 on error.
int64_t rss_bytes();
// Raises RLIMIT_NOFILE to at least `want` (soft, then hard if privileged).
// Returns the resulting soft limit.
uint64_t raise_nofile(uint64_t want);
void sleep_ms(int ms);
int64_t now_ns();  // CLOCK_MONOTONIC

}  // namespace sctpmap::perf
