// SPDX-License-Identifier: MIT
// What crosses the AF_UNIX SOCK_SEQPACKET pair between an application thread
// and the engine.
//
// Application -> engine: one pair message per user message (ToEngine + payload).
//
// Engine -> application: one pair message is a *bundle* of one or more
// entries, each a ToApp header followed by `len` payload bytes, back to back
// (no padding; readers memcpy the header out). A bundle stays in the pair
// until the application has read its last entry, so POLLIN is set exactly
// while some message or notification is unread, while a burst of small
// messages costs the kernel one skb and the reader two system calls per
// bundle rather than per message (docs/ARCHITECTURE.md, "Bundles").
#pragma once

#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "common/sys.hpp"

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
  uint32_t ttl = 0;  // PR-SCTP time-to-live in ms, resolved by sendmsg (0: none)
  int32_t assoc_id = 0;
  // With a ttl, through the pair: when the message expires, on the reactor's
  // clock (steady_clock nanoseconds). Read only for such messages.
  int64_t expires_ns = 0;
};

enum class ToAppKind : uint8_t {
  kData = 1,
  kNotification = 2,
  kAccept = 3,  // listening socket: an association to accept; SCM_RIGHTS carries its fd
};

struct ToApp {
  ToAppKind kind = ToAppKind::kData;
  uint8_t more = 0;  // data: kMoreFollows or kMoreLater when more pieces of the same message follow
  uint16_t sid = 0;
  uint16_t ssn = 0;
  uint16_t flags = 0;  // SCTP_UNORDERED for data
  uint32_t ppid = 0;   // as the peer's user gave it
  uint32_t tsn = 0;
  uint32_t cumtsn = 0;
  uint32_t context = 0;
  int32_t assoc_id = 0;
  uint32_t len = 0;        // payload bytes following this header in the bundle
  uint64_t accept_id = 0;  // kAccept only
};

// ToApp::more. A piece of a message above kPieceMax: the engine has the
// rest and writes it right behind, so a blocking recvmsg may wait for it.
inline constexpr uint8_t kMoreFollows = 1;
// A piece of a message in partial delivery on a one-to-many socket: the
// rest may not have arrived, so recvmsg returns what it has (Linux returns
// one event, without MSG_EOR) rather than wait for it.
inline constexpr uint8_t kMoreLater = 2;

// One entry as the pair carries it, for a backlog or a lobby: `hdr`, its
// len set to the body's, then `body`.
inline std::vector<uint8_t> pair_entry(ToApp hdr, const std::vector<uint8_t>& body) {
  hdr.len = static_cast<uint32_t>(body.size());
  std::vector<uint8_t> entry(sizeof hdr + body.size());
  std::memcpy(entry.data(), &hdr, sizeof hdr);
  if (!body.empty()) std::memcpy(entry.data() + sizeof hdr, body.data(), body.size());
  return entry;
}

static_assert(sizeof(ToEngine) == 32);
static_assert(sizeof(ToApp) == 40);

// An entry joins a non-empty bundle only while the bundle stays within
// kBundleSoftBytes (headers included) and kBundleMaxEntries; a lone entry may
// be larger: a maximal message, or a SEND_FAILED notification carrying one.
inline constexpr size_t kBundleSoftBytes = 64 * 1024;
inline constexpr unsigned kBundleMaxEntries = 256;
// Largest engine -> application pair message; the application's peek buffer.
inline constexpr size_t kPairBundleMax = 128 * 1024;
// A delivered message larger than this (only fragmented ones are) reaches the
// application in pieces of this size, each its own pair message; recvmsg
// joins them when the caller's buffer has room, as SCTP's partial delivery.
inline constexpr size_t kPieceMax = 64 * 1024;
// Largest message the application sends through the pair; larger ones go
// straight to TCP (Socket::send_large).
inline constexpr size_t kPairSendMax = 65536;

// Engine side: the next application message in the pair, its header into
// `h` and its payload into `buf`, without blocking. As recvmsg: the bytes
// read, header included (0: the application closed its end), or -1 and errno.
inline ssize_t recv_app_message(int pair, ToEngine* h, std::vector<uint8_t>& buf) {
  iovec iov[2] = {{h, sizeof *h}, {buf.data(), buf.size()}};
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = 2;
  return sys::recvmsg(pair, &m, MSG_DONTWAIT);
}

}  // namespace sctpmap::socket
