// SPDX-License-Identifier: MIT
// What an association reports upward. The socket layer turns these into Linux's
// notification structs (SCTP_ASSOC_CHANGE, SCTP_SHUTDOWN_EVENT, SCTP_SEND_FAILED...).
#pragma once

#include <cstdint>
#include <variant>
#include <vector>

#include "assoc/instant.hpp"
#include "wire/chunk.hpp"

namespace sctpmap::assoc {

// A deadline that never passes: the message has no PR-SCTP time-to-live.
inline constexpr Instant kNoExpiry{INT64_MAX};

// A message as the user submitted it; kept until ACKed, returned on failure.
struct Message {
  uint16_t sid = 0;
  uint32_t ppid = 0;        // host byte order as the user gave it; wire order is the user's business (RFC 6458)
  uint16_t flags = 0;       // SCTP_UNORDERED etc. as in sinfo_flags
  uint32_t context = 0;     // sinfo_context, returned in SEND_FAILED
  // PR-SCTP time-to-live (RFC 3758, SCTP_PR_SCTP_TTL): when it passes before
  // any of the message is written to TCP, the message comes back as
  // SEND_FAILED / SCTP_DATA_UNSENT instead of being sent.
  Instant expires = kNoExpiry;
  std::vector<uint8_t> payload;
  bool has_ttl() const { return expires != kNoExpiry; }
};

struct CommUp {
  uint16_t outbound_streams = 0;  // min(ours, peer's max inbound)
  uint16_t inbound_streams = 0;   // min(our max inbound, peer's outbound)
};

enum class LossReason : uint8_t {
  kPeerReset,         // RST / ECONNRESET: peer aborted or its process died
  kHeartbeatTimeout,  // too many consecutive unanswered heartbeats
  kProtocolError,     // malformed input; see `error`
  kTransportError,    // other socket error (see errno in the engine's log)
  kLocalAbort,        // abort(): the application aborted (SO_LINGER {1,0}, SCTP_ABORT)
  kPeerClosedUnacked, // FIN while our messages were un-ACKed: the peer closed without taking them
};

struct CommLost {
  LossReason reason{};
  wire::Error error{};  // valid when reason == kProtocolError
};

// The connection ended before CommUp (EOF, RST or error before the peer's INIT):
// SCTP_ASSOC_CHANGE / SCTP_CANT_STR_ASSOC.
struct CantStart {};

// The peer started a graceful shutdown (it sent FIN): SCTP_SHUTDOWN_EVENT.
struct PeerShutdown {};

// Both directions closed gracefully: SCTP_ASSOC_CHANGE / SCTP_SHUTDOWN_COMP.
struct ShutdownComplete {};

// One undelivered message, after CommLost (SCTP_SEND_FAILED[_EVENT]).
struct SendFailed {
  bool was_sent = false;  // true: written to TCP, not ACKed (SCTP_DATA_SENT); false: SCTP_DATA_UNSENT
  Message message;
};

// Nothing of ours is un-ACKed or waiting any more, after some was
// (SCTP_SENDER_DRY_EVENT).
struct SenderDry {};

// The peer's CAPABILITY carried an adaptation layer indication; reported
// right after CommUp (SCTP_ADAPTATION_INDICATION).
struct Adaptation {
  uint32_t ind = 0;
};

// One cause of an ERROR chunk from the peer (SCTP_REMOTE_ERROR): its code
// and its info (the bytes after the cause header, zero-padded to 4 as Linux).
struct RemoteError {
  uint16_t cause = 0;
  std::vector<uint8_t> info;
};

// The one path went down or came back (SCTP_PEER_ADDR_CHANGE), and why, in
// Linux's sctp_sn_error terms.
enum class PathReason : uint8_t { kFailedThreshold, kReceivedAck, kHeartbeatSuccess };
struct PathChange {
  bool available = false;
  PathReason reason{};
};

// The association ended while a message was half handed to the sink in
// pieces (Config::partial_delivery): SCTP_PARTIAL_DELIVERY_ABORTED, before
// CommLost as Linux.
struct PartialDeliveryAborted {
  uint16_t sid = 0;
  uint16_t ssn = 0;
};

using Event = std::variant<CommUp, CantStart, CommLost, PeerShutdown, ShutdownComplete, SendFailed, SenderDry,
                           Adaptation, RemoteError, PathChange, PartialDeliveryAborted>;

}  // namespace sctpmap::assoc
