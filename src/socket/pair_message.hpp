// SPDX-License-Identifier: MIT
// What crosses the AF_UNIX SOCK_SEQPACKET pair between an application thread
// and the engine: one header plus the payload, one pair message per user
// message or notification, so the kernel keeps boundaries and readiness exact.
#pragma once

#include <cstdint>

namespace sctpmap::socket {

enum class ToEngineKind : uint8_t {
  kData = 1,
  kFiller = 2,  // written by connect() to hold POLLOUT off until COMM_UP; discarded
};

struct ToEngine {
  ToEngineKind kind = ToEngineKind::kData;
  uint8_t reserved = 0;
  uint16_t sid = 0;
  uint16_t flags = 0;  // sinfo_flags
  uint16_t reserved2 = 0;
  uint32_t ppid = 0;  // as the user gave it (opaque, RFC 6458)
  uint32_t context = 0;
  uint32_t ttl = 0;
  int32_t assoc_id = 0;
};

enum class ToAppKind : uint8_t {
  kData = 1,
  kNotification = 2,
  kAccept = 3,  // listening socket: an association to accept; SCM_RIGHTS carries its fd
};

struct ToApp {
  ToAppKind kind = ToAppKind::kData;
  uint8_t reserved = 0;
  uint16_t sid = 0;
  uint16_t ssn = 0;
  uint16_t flags = 0;  // SCTP_UNORDERED for data
  uint32_t ppid = 0;   // as the peer's user gave it
  uint32_t tsn = 0;
  uint32_t cumtsn = 0;
  uint32_t context = 0;
  int32_t assoc_id = 0;
  uint64_t accept_id = 0;  // kAccept only
};

static_assert(sizeof(ToEngine) == 24);
static_assert(sizeof(ToApp) == 40);

}  // namespace sctpmap::socket
