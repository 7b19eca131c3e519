// SPDX-License-Identifier: MIT
#include "common/log.hpp"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace sctpmap::log {
namespace {

struct Target {
  int level = static_cast<int>(Level::kWarn);
  int fd = 2;
};

Target load() {
  Target t;
  if (const char* v = std::getenv("SCTPMAP_LOG")) {
    if (!std::strcmp(v, "error")) t.level = 0;
    else if (!std::strcmp(v, "warn")) t.level = 1;
    else if (!std::strcmp(v, "info")) t.level = 2;
    else if (!std::strcmp(v, "debug")) t.level = 3;
  }
  if (const char* f = std::getenv("SCTPMAP_LOG_FILE")) {
    // The raw syscall: open() may be interposed by other preloads.
    long fd = syscall(SYS_openat, AT_FDCWD, f, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd >= 0) t.fd = static_cast<int>(fd);
  }
  return t;
}

const Target& target() {
  static const Target t = load();
  return t;
}

const char* name(Level l) {
  switch (l) {
    case Level::kError: return "error";
    case Level::kWarn: return "warn";
    case Level::kInfo: return "info";
    case Level::kDebug: return "debug";
  }
  return "?";
}

}  // namespace

bool enabled(Level level) { return static_cast<int>(level) <= target().level; }

void write(Level level, const char* fmt, ...) {
  char line[512];
  int n = std::snprintf(line, sizeof line, "sctpmap[%d] %s: ", static_cast<int>(getpid()), name(level));
  va_list ap;
  va_start(ap, fmt);
  int m = std::vsnprintf(line + n, sizeof line - static_cast<size_t>(n) - 1, fmt, ap);
  va_end(ap);
  size_t len = static_cast<size_t>(n) + (m < 0 ? 0 : static_cast<size_t>(m));
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  // One write per line keeps lines whole across processes sharing the target.
  [[maybe_unused]] long r = syscall(SYS_write, target().fd, line, len);
}

}  // namespace sctpmap::log
