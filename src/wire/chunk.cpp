// SPDX-License-Identifier: MIT
// Human-readable names for protocol errors: they end up in the log line that
// explains why an association was aborted, so they name the rule that broke.
#include "wire/chunk.hpp"

namespace sctpmap::wire {

const char* to_string(Error e) {
  switch (e) {
    case Error::kBadLength:
      return "bad chunk length";
    case Error::kBadType:
      return "unknown or reserved chunk type";
    case Error::kDataTooShort:
      return "DATA chunk shorter than its announced fields or without user data";
    case Error::kBadAckLength:
      return "ACK length does not match the INIT flags";
    case Error::kBadHeartbeat:
      return "HEARTBEAT without exactly one valid Heartbeat Info parameter";
    case Error::kBadCapability:
      return "malformed or unexpected CAPABILITY chunk";
    case Error::kBadShutdown:
      return "SHUTDOWN chunk with a value";
    case Error::kNoInit:
      return "first chunk is not INIT";
    case Error::kSecondInit:
      return "second INIT";
    case Error::kTsnOutOfSequence:
      return "DATA TSN out of sequence";
    case Error::kAckOutOfSequence:
      return "ACK not for the oldest un-ACKed TSN";
    case Error::kInvalidStream:
      return "DATA stream identifier beyond the inbound streams";
    case Error::kCapabilityMissing:
      return "INIT promised a CAPABILITY chunk that did not follow";
    case Error::kBadFragment:
      return "DATA fragments out of B...E order or differing within one message";
    case Error::kMessageTooBig:
      return "fragmented message larger than the announced maximum";
    case Error::kBadError:
      return "ERROR chunk with malformed causes";
  }
  // Not reachable with a valid enumerator; a value cast from garbage still gets a name.
  return "unknown protocol error";
}

}  // namespace sctpmap::wire
