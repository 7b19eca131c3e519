// SPDX-License-Identifier: MIT
// Child process control for the real-process suites; contract in harness.hpp.
#include "harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

extern char** environ;

namespace sctpmap::test {
namespace {

std::string getenv_str(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string env_key(const std::string& kv) { return kv.substr(0, kv.find('=')); }

char deadline_message[512];

void on_deadline(int) {
  // Async-signal-safe: write the prepared message and leave. Children die
  // by PR_SET_PDEATHSIG.
  ssize_t ignored = write(2, deadline_message, std::strlen(deadline_message));
  (void)ignored;
  _exit(3);
}

}  // namespace

std::string lib_path() { return getenv_str("SCTPMAP_LIB"); }
std::string peer_path() { return getenv_str("SCTPMAP_PEER"); }

std::string describe_status(int status) {
  if (WIFEXITED(status)) return "exit code " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return "killed by signal " + std::to_string(WTERMSIG(status)) + " (" + strsignal(WTERMSIG(status)) + ")";
  return "wait status " + std::to_string(status);
}

long long elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<Ms>(std::chrono::steady_clock::now() - start).count();
}

std::unique_ptr<Child> Child::spawn(const std::vector<std::string>& argv, SpawnOptions options) {
  std::vector<std::string> env_strings;
  std::vector<std::string> overrides = options.env;
  if (options.preload) overrides.push_back("LD_PRELOAD=" + lib_path());
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    bool replaced = env_key(kv) == "LD_PRELOAD";  // never inherit a preload by accident
    for (const auto& o : overrides) replaced = replaced || env_key(o) == env_key(kv);
    if (!replaced) env_strings.push_back(kv);
  }
  for (const auto& o : overrides) env_strings.push_back(o);

  std::vector<char*> args, envp;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (const auto& e : env_strings) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);

  char err_template[] = "/tmp/sctpmap-test-stderr-XXXXXX";
  const int err_fd = mkostemp(err_template, O_CLOEXEC);
  int in_pipe[2], out_pipe[2];
  if (err_fd < 0 || pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "spawn: " << std::strerror(errno);
    return nullptr;
  }
  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(126);  // parent already gone
    dup2(in_pipe[0], 0);
    dup2(out_pipe[1], 1);
    dup2(err_fd, 2);
    execve(args[0], args.data(), envp.data());
    const char msg[] = "EXEC_FAILED\n";
    ssize_t ignored = write(1, msg, sizeof msg - 1);
    (void)ignored;
    _exit(127);
  }
  close(in_pipe[0]);
  close(out_pipe[1]);
  close(err_fd);
  std::unique_ptr<Child> child(new Child());
  child->pid_ = pid;
  child->in_fd_ = in_pipe[1];
  child->out_fd_ = out_pipe[0];
  child->err_path_ = err_template;
  for (const auto& a : argv) child->name_ += (child->name_.empty() ? "" : " ") + a;
  if (pid < 0) {
    ADD_FAILURE() << "fork: " << std::strerror(errno);
    child->pid_ = -1;
  }
  return child;
}

std::unique_ptr<Child> Child::peer(const std::vector<std::string>& args, std::vector<std::string> env) {
  std::vector<std::string> argv{peer_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  bool has_log = false;
  for (const auto& e : env) has_log = has_log || env_key(e) == "SCTPMAP_LOG";
  if (!has_log) env.push_back("SCTPMAP_LOG=warn");
  return spawn(argv, SpawnOptions{true, env});
}

Child::~Child() {
  if (pid_ > 0 && !status_) {
    kill(pid_, SIGKILL);  // works on stopped processes too
    int st = 0;
    waitpid(pid_, &st, 0);
  }
  if (in_fd_ >= 0) close(in_fd_);
  if (out_fd_ >= 0) close(out_fd_);
  if (!err_path_.empty()) unlink(err_path_.c_str());
}

bool Child::read_more(Ms timeout) {
  if (eof_) return false;
  pollfd p{out_fd_, POLLIN, 0};
  const int r = poll(&p, 1, int(timeout.count()));
  if (r <= 0) return false;
  char buf[65536];
  const ssize_t n = read(out_fd_, buf, sizeof buf);
  if (n <= 0) {
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
    eof_ = true;
    if (!partial_.empty()) lines_.push_back(partial_), partial_.clear();
    return false;
  }
  partial_.append(buf, size_t(n));
  size_t nl;
  while ((nl = partial_.find('\n')) != std::string::npos) {
    lines_.push_back(partial_.substr(0, nl));
    partial_.erase(0, nl + 1);
  }
  return true;
}

void Child::poll_output() {
  while (read_more(Ms(0))) {
  }
}

std::optional<std::string> Child::wait_line(const std::function<bool(const std::string&)>& pred,
                                            Ms timeout) {
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = cursor_;;) {
    for (; i < lines_.size(); ++i) {
      if (pred(lines_[i])) {
        cursor_ = i + 1;
        return lines_[i];
      }
    }
    // On failure the cursor stays put, so later expectations in the same
    // sequence are still checked against the same output.
    const long long left = timeout.count() - elapsed_ms(start);
    if (left <= 0 || eof_) return std::nullopt;
    read_more(Ms(left));
  }
}

std::optional<std::string> Child::wait_prefix(const std::string& prefix, Ms timeout) {
  return wait_line([&](const std::string& l) { return l.rfind(prefix, 0) == 0; }, timeout);
}

std::optional<std::string> Child::wait_contains(const std::string& needle, Ms timeout) {
  return wait_line([&](const std::string& l) { return l.find(needle) != std::string::npos; }, timeout);
}

std::optional<std::string> Child::wait_since(size_t mark,
                                             const std::function<bool(const std::string&)>& pred,
                                             Ms timeout) {
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = mark;;) {
    for (; i < lines_.size(); ++i)
      if (pred(lines_[i])) return lines_[i];
    const long long left = timeout.count() - elapsed_ms(start);
    if (left <= 0 || eof_) return std::nullopt;
    read_more(Ms(left));
  }
}

bool Child::read_to_eof(Ms timeout) {
  const auto start = std::chrono::steady_clock::now();
  while (!eof_) {
    const long long left = timeout.count() - elapsed_ms(start);
    if (left <= 0) return false;
    read_more(Ms(left));
  }
  return true;
}

std::vector<std::string> Child::grep(const std::string& needle) const {
  std::vector<std::string> out;
  for (const auto& l : lines_)
    if (l.find(needle) != std::string::npos) out.push_back(l);
  return out;
}

void Child::write_stdin(const std::string& text) {
  if (in_fd_ < 0) return;
  // The child reads its stdin promptly; a short blocking write is fine.
  ssize_t ignored = write(in_fd_, text.data(), text.size());
  (void)ignored;
}

void Child::close_stdin() {
  if (in_fd_ >= 0) close(in_fd_);
  in_fd_ = -1;
}

void Child::signal(int sig) {
  if (pid_ > 0 && !status_) kill(pid_, sig);
}

bool Child::running() {
  if (pid_ <= 0 || status_) return false;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) == pid_ && (WIFEXITED(st) || WIFSIGNALED(st))) status_ = st;
  return !status_;
}

std::optional<int> Child::wait_exit(Ms timeout) {
  const auto start = std::chrono::steady_clock::now();
  while (running()) {
    const long long left = timeout.count() - elapsed_ms(start);
    if (left <= 0) return std::nullopt;
    // Keep draining stdout so the child never blocks on a full pipe.
    if (!read_more(Ms(std::min<long long>(left, 20))))
      std::this_thread::sleep_for(Ms(std::min<long long>(left, 5)));
  }
  read_to_eof(Ms(1000));  // a grandchild may hold the pipe; do not wait long
  return status_;
}

std::string Child::stderr_text() const {
  std::ifstream in(err_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Child::transcript() const {
  std::string out = "---- " + name_ + " (stdout, " + std::to_string(lines_.size()) + " lines)\n";
  // Long transfers print little, but event floods can be long: keep the ends.
  for (size_t i = 0; i < lines_.size(); ++i) {
    if (lines_.size() > 120 && i == 60) out += "...\n", i = lines_.size() - 60;
    out += lines_[i] + "\n";
  }
  std::string err = stderr_text();
  if (err.size() > 8000) err = err.substr(0, 4000) + "\n...\n" + err.substr(err.size() - 4000);
  out += "---- stderr\n" + err;
  return out;
}

Deadline::Deadline(int seconds) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::snprintf(deadline_message, sizeof deadline_message,
                "\nTIMEOUT: test %s.%s did not finish within its own %d s deadline\n",
                info ? info->test_suite_name() : "?", info ? info->name() : "?", seconds);
  struct sigaction sa{};
  sa.sa_handler = on_deadline;
  sigaction(SIGALRM, &sa, nullptr);
  alarm(unsigned(seconds));
}

Deadline::~Deadline() { alarm(0); }

std::optional<std::string> field(const std::string& line, const std::string& key) {
  std::istringstream in(line);
  std::string token;
  while (in >> token) {
    if (token.rfind(key + "=", 0) == 0) return token.substr(key.size() + 1);
  }
  return std::nullopt;
}

long long field_num(const std::string& line, const std::string& key, long long fallback) {
  const auto v = field(line, key);
  if (!v) return fallback;
  char* end = nullptr;
  const long long n = std::strtoll(v->c_str(), &end, 0);
  return end && *end == '\0' ? n : fallback;
}

bool has_word(const std::string& line, const std::string& word) {
  std::istringstream in(line);
  std::string token;
  while (in >> token)
    if (token == word) return true;
  return false;
}

std::vector<uint8_t> hex(const std::string& text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : text) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
    const int v = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (high < 0) {
      high = v;
    } else {
      out.push_back(uint8_t(high << 4 | v));
      high = -1;
    }
  }
  return out;
}

}  // namespace sctpmap::test
