// SPDX-License-Identifier: MIT
// Process control for the real-process suites (integration, fault): start a
// program with or without LD_PRELOAD=$SCTPMAP_LIB, read its stdout line by
// line with timeouts, write to its stdin, signal it, wait for it, and capture
// its stderr to a file. Children get SIGKILL when the test process dies
// (PR_SET_PDEATHSIG), so a failed or timed-out test leaves nothing running.
// Single-threaded use from the test's main thread.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace sctpmap::test {

using Ms = std::chrono::milliseconds;

// Paths meson passes in the test environment; an empty string when unset.
std::string lib_path();   // SCTPMAP_LIB: libsctpmap.so
std::string peer_path();  // SCTPMAP_PEER: the sctp_peer program

struct SpawnOptions {
  bool preload = true;            // LD_PRELOAD=$SCTPMAP_LIB
  std::vector<std::string> env;   // extra "NAME=value", overriding inherited ones
};

class Child {
 public:
  static std::unique_ptr<Child> spawn(const std::vector<std::string>& argv, SpawnOptions options = {});
  // sctp_peer with the given arguments, preloaded, SCTPMAP_LOG=warn unless set.
  static std::unique_ptr<Child> peer(const std::vector<std::string>& args, std::vector<std::string> env = {});
  ~Child();
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }
  const std::string& name() const { return name_; }

  // The next stdout line after the previous match satisfying `pred`,
  // reading more output as needed; lines skipped over stay in lines().
  // nullopt (cursor unchanged) when the timeout passes or stdout closed.
  std::optional<std::string> wait_line(const std::function<bool(const std::string&)>& pred, Ms timeout);
  std::optional<std::string> wait_prefix(const std::string& prefix, Ms timeout);
  std::optional<std::string> wait_contains(const std::string& needle, Ms timeout);
  // Like wait_line, but searching every line from index `mark` on (see
  // mark()) without moving the cursor: for facts whose order relative to
  // other output is not fixed.
  size_t mark() const { return lines_.size(); }
  std::optional<std::string> wait_since(size_t mark, const std::function<bool(const std::string&)>& pred,
                                        Ms timeout);
  // Reads until stdout closes; false on timeout.
  bool read_to_eof(Ms timeout);
  // Reads whatever is available now without waiting.
  void poll_output();

  const std::vector<std::string>& lines() const { return lines_; }
  std::vector<std::string> grep(const std::string& needle) const;

  void write_stdin(const std::string& text);
  void close_stdin();
  void signal(int sig);
  // The wait status once the child has exited (draining stdout meanwhile),
  // nullopt on timeout.
  std::optional<int> wait_exit(Ms timeout);
  bool running();

  std::string stderr_text() const;
  // Everything the child said, for failure messages.
  std::string transcript() const;

 private:
  Child() = default;
  bool read_more(Ms timeout);  // false on timeout or EOF

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int in_fd_ = -1;
  bool eof_ = false;
  std::optional<int> status_;
  std::string name_;
  std::string err_path_;
  std::string partial_;
  std::vector<std::string> lines_;
  size_t cursor_ = 0;
};

// Per-test deadline: when it passes, the test process prints the test's name
// and exits (its children die with it). Meson's own timeout is the backstop.
class Deadline {
 public:
  explicit Deadline(int seconds);
  ~Deadline();
};

// "key=value" tokens of a line such as "ASSOC 3 END received=100 end=EOF".
std::optional<std::string> field(const std::string& line, const std::string& key);
long long field_num(const std::string& line, const std::string& key, long long fallback = -1);
bool has_word(const std::string& line, const std::string& word);

// "exit code 1", "killed by signal 11 (Segmentation fault)", ... for a wait status.
std::string describe_status(int status);

// Milliseconds since `start`.
long long elapsed_ms(std::chrono::steady_clock::time_point start);

// Bytes from hex text for wire-format peers ("01 80 00 04"); any character
// that is not a hex digit separates nothing and is skipped.
std::vector<uint8_t> hex(const std::string& text);

}  // namespace sctpmap::test
