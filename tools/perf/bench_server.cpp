// SPDX-License-Identifier: MIT
// Server half of each measurement, run in the child process; see bench.hpp.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "bench.hpp"
#include "many.hpp"

namespace sctpmap::perf {
namespace {

// Kept between kIdleOpen and kIdleRelease.
struct IdleState {
  int listener = -1;
  std::vector<int> conns;
};

// Listens, tells the client the port, and accepts one connection.
// Returns the connection fd, or -1 after sending an error reply.
int listen_and_accept(const Command& c, int reply_fd) {
  uint16_t port = 0;
  const int lfd = open_listener(c.transport, 16, &port);
  if (lfd < 0) {
    (void)write_reply(reply_fd, error_reply(describe_error(c.transport, "server listen", lfd)));
    return -1;
  }
  Reply r = ok_reply();
  r.port = port;
  if (!write_reply(reply_fd, r)) {
    ::close(lfd);
    return -1;
  }
  const int fd = accept_conn(lfd);
  ::close(lfd);
  if (fd < 0) {
    (void)write_reply(reply_fd, error_reply(describe_error(c.transport, "server accept", fd)));
    return -1;
  }
  return fd;
}

// Counts and verifies messages until the client closes. Time runs from the
// first message to EOF, which the client sends right after its last message,
// so connection setup is not counted and the clock is read twice per run, not
// once per message.
void serve_throughput(const Command& c, int reply_fd) {
  const int fd = listen_and_accept(c, reply_fd);
  if (fd < 0) return;
  MessageReader reader(c.transport, fd, c.size);
  uint64_t n = 0;
  int64_t first = 0;
  ReadStatus st;
  while ((st = reader.next(n)) == ReadStatus::kMessage) {
    if (n++ == 0) first = now_ns();
  }
  const int64_t end = now_ns();
  ::close(fd);
  Reply r = st == ReadStatus::kEof ? ok_reply() : error_reply("server: " + reader.error());
  r.messages = n;
  r.elapsed_ns = n > 0 ? end - first : 0;
  (void)write_reply(reply_fd, r);
}

// Echoes every message as it arrives, with the same writer the client uses.
void serve_pingpong(const Command& c, int reply_fd) {
  const int fd = listen_and_accept(c, reply_fd);
  if (fd < 0) return;
  MessageReader reader(c.transport, fd, c.size);
  MessageWriter writer(c.transport, fd, c.size);
  uint64_t n = 0;
  std::string err;
  for (;;) {
    const ReadStatus st = reader.next(n);
    if (st == ReadStatus::kEof) break;
    if (st == ReadStatus::kError) {
      err = "server: " + reader.error();
      break;
    }
    const int rc = writer.send(n);
    if (rc < 0) {
      err = describe_error(c.transport, "server send", rc);
      break;
    }
    ++n;
  }
  ::close(fd);
  Reply r = err.empty() ? ok_reply() : error_reply(err);
  r.messages = n;
  (void)write_reply(reply_fd, r);
}

// Accepts one warm-up connection (so lazy library set-up is not counted),
// takes the RSS baseline, says so, then accepts c.count more and keeps them
// all; reports this process's growth so the accepting side's cost per
// association is visible too.
void serve_idle_open(const Command& c, int reply_fd, IdleState* idle) {
  raise_nofile(4ull * c.count + 64);
  uint16_t port = 0;
  // The whole batch may be queued before we accept; the kernel caps the
  // backlog at net.core.somaxconn.
  idle->listener = open_listener(c.transport, static_cast<int>(c.count) + 16, &port);
  if (idle->listener < 0) {
    (void)write_reply(reply_fd, error_reply(describe_error(c.transport, "server listen", idle->listener)));
    return;
  }
  Reply r = ok_reply();
  r.port = port;
  if (!write_reply(reply_fd, r)) return;
  idle->conns.reserve(c.count + 1);
  int64_t before = 0;
  while (idle->conns.size() < c.count + 1) {
    const int fd = accept_conn(idle->listener);
    if (fd < 0) {
      (void)write_reply(reply_fd, error_reply(describe_error(c.transport, "server accept", fd)));
      return;
    }
    idle->conns.push_back(fd);
    if (idle->conns.size() == 1) {
      sleep_ms(200);
      before = rss_bytes();
      if (!write_reply(reply_fd, ok_reply())) return;
    }
  }
  sleep_ms(300);
  r = ok_reply();
  r.messages = idle->conns.size() - 1;
  r.rss_delta = rss_bytes() - before;
  (void)write_reply(reply_fd, r);
}

void serve_idle_release(int reply_fd, IdleState* idle) {
  for (int fd : idle->conns) ::close(fd);
  idle->conns.clear();
  if (idle->listener >= 0) ::close(idle->listener);
  idle->listener = -1;
  (void)write_reply(reply_fd, ok_reply());
}

const char* op_name(Op op) {
  switch (op) {
    case Op::kThroughput:
      return "throughput test";
    case Op::kPingPong:
      return "ping-pong test";
    case Op::kIdleOpen:
      return "idle-memory test (accepting)";
    case Op::kIdleRelease:
      return "idle-memory test (closing)";
    case Op::kManyThroughput:
      return "one-to-many throughput test";
    case Op::kManyIdleOpen:
      return "one-to-many idle-memory test (accepting)";
    case Op::kQuit:
      break;
  }
  return "shutdown";
}

}  // namespace

int serve(int cmd_fd, int reply_fd) {
  set_watchdog_role("server");
  IdleState idle;
  Command c{};
  while (read_command(cmd_fd, &c)) {
    arm_watchdog(step_name(op_name(c.op), c.transport, c.size), c.timeout_s);
    switch (c.op) {
      case Op::kThroughput:
        serve_throughput(c, reply_fd);
        break;
      case Op::kPingPong:
        serve_pingpong(c, reply_fd);
        break;
      case Op::kIdleOpen:
        serve_idle_open(c, reply_fd, &idle);
        break;
      case Op::kIdleRelease:
        serve_idle_release(reply_fd, &idle);
        break;
      case Op::kManyThroughput:
        serve_many_throughput(c, reply_fd);
        break;
      case Op::kManyIdleOpen:
        serve_many_idle_open(c, reply_fd, &idle.listener);
        break;
      case Op::kQuit:
        return 0;
    }
    disarm_watchdog();
  }
  return 0;
}

}  // namespace sctpmap::perf
