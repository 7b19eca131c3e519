// SPDX-License-Identifier: MIT
// Moving option values in and out of the caller's buffers, with Linux's
// checks (EINVAL when the buffer is too short), and SCTP's millisecond units.
#pragma once

#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>

#include "assoc/instant.hpp"

namespace sctpmap::socket {

template <class T>
int read_opt(const void* val, socklen_t len, T* out) {
  if (!val || len < static_cast<socklen_t>(sizeof(T))) return -EINVAL;
  std::memcpy(out, val, sizeof(T));
  return 0;
}

template <class T>
int write_opt(void* val, socklen_t* len, const T& in) {
  if (!val || !len || *len < static_cast<socklen_t>(sizeof(T))) return -EINVAL;
  std::memcpy(val, &in, sizeof(T));
  *len = sizeof(T);
  return 0;
}

inline int write_int(void* val, socklen_t* len, int v) { return write_opt(val, len, v); }

inline uint32_t to_ms(Duration d) {
  return static_cast<uint32_t>(std::chrono::duration_cast<std::chrono::milliseconds>(d).count());
}
inline Duration from_ms(uint32_t ms) { return std::chrono::milliseconds(ms); }

}  // namespace sctpmap::socket
