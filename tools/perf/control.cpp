// SPDX-License-Identifier: MIT
// Process pair, control pipes, watchdog and resource probes; see control.hpp.
#include "control.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>

namespace sctpmap::perf {
namespace {

// The only globals: what the SIGALRM handler prints. g_what is rewritten
// only while no alarm is pending (see arm_watchdog), so the handler never
// reads it half-written.
std::atomic<const char*> g_role{"client"};
char g_what[200] = "start-up";

void write_str(const char* s) {
  // write(2) and strlen are safe in a signal handler; stdio is not.
  const ssize_t rc = ::write(STDERR_FILENO, s, std::strlen(s));
  (void)rc;
}

void on_alarm(int) {
  write_str("sctpmap-perf: ");
  write_str(g_role.load());
  write_str(": timed out during ");
  write_str(g_what);
  write_str("\n");
  ::_exit(kExitTimeout);
}

bool write_all(int fd, const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  while (n > 0) {
    const ssize_t w = ::write(fd, b, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    b += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

bool read_all(int fd, void* p, size_t n) {
  auto* b = static_cast<uint8_t*>(p);
  while (n > 0) {
    const ssize_t r = ::read(fd, b, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    b += r;
    n -= static_cast<size_t>(r);
  }
  return true;
}

// Runs in the forked child, before exec: async-signal-safe calls only, since
// the parent may have threads (libsctpmap's reactor).
[[noreturn]] void exec_server(pid_t parent, int cmd_fd, int reply_fd, char* argv[]) {
  // If the client dies, the server must not linger holding ports.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(kExitVerify);
  // Our ends were made close-on-exec in the parent; keep them across exec.
  ::fcntl(cmd_fd, F_SETFD, 0);
  ::fcntl(reply_fd, F_SETFD, 0);
  ::execv("/proc/self/exe", argv);
  write_str("sctpmap-perf: exec /proc/self/exe failed\n");
  ::_exit(kExitVerify);
}

}  // namespace

int spawn_server(ServerChild* child) {
  int to_server[2];
  int to_client[2];
  if (::pipe2(to_server, O_CLOEXEC) < 0) return -errno;
  if (::pipe2(to_client, O_CLOEXEC) < 0) {
    const int e = errno;
    ::close(to_server[0]);
    ::close(to_server[1]);
    return -e;
  }
  // Built before fork: snprintf is not safe between fork and exec.
  char cmd_arg[16];
  char reply_arg[16];
  std::snprintf(cmd_arg, sizeof cmd_arg, "%d", to_server[0]);
  std::snprintf(reply_arg, sizeof reply_arg, "%d", to_client[1]);
  char name[] = "sctpmap-perf";
  char serve[] = "--serve";
  char* argv[] = {name, serve, cmd_arg, reply_arg, nullptr};
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) return -errno;
  if (pid == 0) exec_server(parent, to_server[0], to_client[1], argv);
  ::close(to_server[0]);
  ::close(to_client[1]);
  child->pid = pid;
  child->cmd_fd = to_server[1];
  child->reply_fd = to_client[0];
  return 0;
}

void stop_server(ServerChild* child) {
  if (child->pid < 0) return;
  Command quit{};
  quit.op = Op::kQuit;
  (void)write_command(child->cmd_fd, quit);
  ::close(child->cmd_fd);
  ::close(child->reply_fd);
  for (int i = 0; i < 50; ++i) {
    if (::waitpid(child->pid, nullptr, WNOHANG) == child->pid) {
      child->pid = -1;
      return;
    }
    sleep_ms(100);
  }
  kill_server(child);
}

void kill_server(ServerChild* child) {
  if (child->pid < 0) return;
  ::kill(child->pid, SIGKILL);
  ::waitpid(child->pid, nullptr, 0);
  child->pid = -1;
}

bool write_command(int fd, const Command& c) { return write_all(fd, &c, sizeof c); }
bool read_command(int fd, Command* c) { return read_all(fd, c, sizeof *c); }
bool write_reply(int fd, const Reply& r) { return write_all(fd, &r, sizeof r); }
bool read_reply(int fd, Reply* r) { return read_all(fd, r, sizeof *r); }

Reply ok_reply() {
  Reply r{};
  r.ok = 1;
  return r;
}

Reply error_reply(const std::string& what) {
  Reply r{};
  r.ok = 0;
  std::snprintf(r.error, sizeof r.error, "%s", what.c_str());
  return r;
}

std::string start_step(ServerChild& srv, const Command& c, uint16_t* port) {
  if (!write_command(srv.cmd_fd, c)) return "server process is gone (control pipe closed)";
  Reply r{};
  if (!read_reply(srv.reply_fd, &r)) return "server process is gone (no reply)";
  if (!r.ok) return r.error;
  *port = r.port;
  return {};
}

std::string finish_step(ServerChild& srv, const std::string& client_err, Reply* r) {
  if (!read_reply(srv.reply_fd, r)) return client_err.empty() ? "server process is gone (no reply)" : client_err;
  if (!r->ok) return r->error;
  return client_err;
}

void set_watchdog_role(const char* role) {
  g_role.store(role);
  struct sigaction sa{};
  sa.sa_handler = on_alarm;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGALRM, &sa, nullptr);
  // A peer that vanishes must show up as EPIPE from send, not kill us silently.
  ::signal(SIGPIPE, SIG_IGN);
}

void arm_watchdog(const std::string& what, unsigned seconds) {
  ::alarm(0);
  std::snprintf(g_what, sizeof g_what, "%s", what.c_str());
  std::atomic_signal_fence(std::memory_order_seq_cst);
  ::alarm(seconds);
}

std::string step_name(const char* test, Transport t, uint32_t size) {
  std::string s = std::string("the ") + transport_name(t) + " " + test;
  if (size > 0) s += " (" + std::to_string(size) + "-byte messages)";
  return s;
}

void disarm_watchdog() { ::alarm(0); }

int64_t rss_bytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long long size = 0;
  long long resident = -1;
  const int n = std::fscanf(f, "%lld %lld", &size, &resident);
  std::fclose(f);
  if (n != 2) return -1;
  return resident * ::sysconf(_SC_PAGESIZE);
}

uint64_t raise_nofile(uint64_t want) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) < 0) return 0;
  if (rl.rlim_cur >= want) return rl.rlim_cur;
  if (rl.rlim_max < want) {
    // Only root may raise the hard limit; if that fails, take what we can.
    rlimit up{want, want};
    if (::setrlimit(RLIMIT_NOFILE, &up) == 0) return want;
    want = rl.rlim_max;
  }
  rl.rlim_cur = want;
  ::setrlimit(RLIMIT_NOFILE, &rl);
  ::getrlimit(RLIMIT_NOFILE, &rl);
  return rl.rlim_cur;
}

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace sctpmap::perf
