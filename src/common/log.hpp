// SPDX-License-Identifier: MIT
// Logging for the I/O layers (engine, socket, preload). Level and target come
// from SCTPMAP_LOG (error|warn|info|debug, default warn) and SCTPMAP_LOG_FILE
// (default: standard error). Writes one line per call with the raw write(2),
// so it never recurses into the preload and is safe from any thread.
#pragma once

namespace sctpmap::log {

enum class Level : int { kError = 0, kWarn = 1, kInfo = 2, kDebug = 3 };

bool enabled(Level level);
void write(Level level, const char* fmt, ...) __attribute__((format(printf, 2, 3)));

}  // namespace sctpmap::log

#define SCTPMAP_LOG(level, ...)                                              \
  do {                                                                       \
    if (::sctpmap::log::enabled(::sctpmap::log::Level::level))               \
      ::sctpmap::log::write(::sctpmap::log::Level::level, __VA_ARGS__);      \
  } while (0)
