// SPDX-License-Identifier: MIT
// Chunk types and decoded views of the TCP-mapping wire format
// (draft-ietf-rserpool-tcpmapping-03, sections 2-3) plus sctpmap's extensions
// (docs/PROTOCOL.md). Decoded chunks are views into the caller's bytes: nothing
// here owns or copies payload.
#pragma once

#include <cstdint>
#include <span>
#include <variant>

namespace sctpmap::wire {

using Bytes = std::span<const uint8_t>;

enum class ChunkType : uint8_t {
  kData = 0,
  kInit = 1,
  kAck = 3,
  kHeartbeat = 4,
  kHeartbeatAck = 5,
  kCapability = 0x80,  // ours: sent right after INIT when INIT carries kInitCapabilityFollows
  kShutdown = 0x81,    // ours: SCTP's SHUTDOWN (RFC 9260 9.2), only to a peer that sent CAPABILITY
  kError = 0x82,       // ours: SCTP's OPERATION ERROR (RFC 9260 3.3.10), only to a peer announcing kFeatureErrorReport
};

inline constexpr size_t kChunkHeaderSize = 4;
inline constexpr size_t kMaxChunkLength = 65535;
// Largest user message when every DATA field is present: 65535 - 4 - 12.
inline constexpr size_t kMaxDraftMessage = 65519;

// INIT flags: each tells the receiver what the INIT's SENDER omits from its DATA.
inline constexpr uint8_t kInitOmitTsn = 0x01;     // T: TSN implicit; receiver also omits TSN in ACK
inline constexpr uint8_t kInitOmitStream = 0x02;  // S: SID/SSN word omitted (stream 0)
inline constexpr uint8_t kInitOmitPpid = 0x04;    // P: PPID omitted (0)
// Ours, a reserved bit a draft-only peer ignores: "a CAPABILITY chunk follows".
inline constexpr uint8_t kInitCapabilityFollows = 0x80;
inline constexpr uint8_t kInitDraftFlags = kInitOmitTsn | kInitOmitStream | kInitOmitPpid;

// DATA flags.
inline constexpr uint8_t kDataUnordered = 0x04;  // U
// Ours, only when both sides announced kFeatureFragmentation (docs/PROTOCOL.md
// section 15); RFC 9260 3.3.1's bits. Otherwise they are reserved (sent as 0,
// ignored) and every DATA chunk is a whole message, as in the draft.
inline constexpr uint8_t kDataBegin = 0x02;  // B: first fragment of a message
inline constexpr uint8_t kDataEnd = 0x01;    // E: last fragment of a message

// CAPABILITY feature bits (the features parameter). Ours.
inline constexpr uint32_t kFeatureFragmentation = 0x00000001;  // B/E fragments, docs/PROTOCOL.md section 15
inline constexpr uint32_t kFeatureErrorReport = 0x00000002;    // reads ERROR chunks, docs/PROTOCOL.md section 16

// ERROR cause codes (RFC 9260 3.3.10).
inline constexpr uint16_t kCauseInvalidStream = 1;      // RFC 9260 3.3.10.1: stream id, 16 reserved bits
inline constexpr uint16_t kCauseUnrecognizedChunk = 6;

// Heartbeat Info parameter type (the only parameter a HEARTBEAT carries).
inline constexpr uint16_t kHeartbeatInfoType = 1;

// Which fields a DATA chunk carries, derived from its sender's INIT flags.
struct DataFormat {
  bool tsn = true;
  bool stream = true;
  bool ppid = true;

  static constexpr DataFormat from_init_flags(uint8_t flags) {
    return DataFormat{(flags & kInitOmitTsn) == 0, (flags & kInitOmitStream) == 0,
                      (flags & kInitOmitPpid) == 0};
  }
  constexpr size_t header_size() const {
    return kChunkHeaderSize + (tsn ? 4 : 0) + (stream ? 4 : 0) + (ppid ? 4 : 0);
  }
  constexpr size_t max_payload() const { return kMaxChunkLength - header_size(); }
};

struct Init {
  uint8_t flags = 0;
};

struct Data {
  uint8_t flags = 0;  // U only: B/E are reported in begin/end
  // Fragment position. Both true (a whole message) unless fragmentation is
  // negotiated (DecodeContext::fragments), where they are the B and E bits.
  bool begin = true;
  bool end = true;
  bool has_tsn = true;  // false: TSN implicit; the reader fills tsn from position
  uint32_t tsn = 0;
  uint16_t sid = 0;
  uint16_t ssn = 0;
  uint32_t ppid = 0;
  Bytes payload;
  bool unordered() const { return (flags & kDataUnordered) != 0; }
};

struct Ack {
  bool has_tsn = true;
  uint32_t cum_tsn = 0;
};

struct Heartbeat {
  Bytes info;  // the opaque Heartbeat Info value (parameter header stripped)
};

struct HeartbeatAck {
  Bytes info;
};

// Ours (type 0x80). Value: TLV parameters, each Type(16) Length(16) Value, padded
// to 4. Known parameters: 1 = streams {outbound(16), max_inbound(16)};
// 2 = features (32-bit bitmap, kFeature*); 3 = max message (32 bits: the
// largest message the sender reassembles; mandatory with
// kFeatureFragmentation, written iff max_message != 0); 4 = adaptation
// layer indication (32 bits, SCTP_ADAPTATION_LAYER; written iff
// has_adaptation). Unknown parameters are skipped.
struct Capability {
  uint16_t outbound_streams = 0;
  uint16_t max_inbound_streams = 0;
  uint32_t features = 0;
  uint32_t max_message = 0;  // 0: parameter absent
  bool has_adaptation = false;
  uint32_t adaptation_ind = 0;
};

// Ours (type 0x81, Length 4): the sender will send no more DATA; it keeps
// reading and ACKing until the peer's FIN, then FINs itself.
struct Shutdown {};

// Ours (type 0x82): one or more error causes, each Code(16) Length(16)
// Info, padded to 4; the codec has checked that they tile the value.
struct ErrorChunk {
  Bytes causes;
};

// A chunk type this implementation does not know, skipped: 0x80..0xBF
// silently, 0xC0..0xFF with a report (RFC 9260 3.2: high bits 11 = "skip
// and report"). `chunk` is the whole chunk, header included, unpadded.
struct Skipped {
  uint8_t type = 0;
  bool report = false;
  Bytes chunk;
};

using Chunk = std::variant<Init, Data, Ack, Heartbeat, HeartbeatAck, Capability, Shutdown, Skipped, ErrorChunk>;

enum class Error : uint8_t {
  kBadLength,         // Length < 4, or beyond what the type allows
  kBadType,           // type 2, 6..127
  kDataTooShort,      // DATA shorter than the fields its sender's INIT announced, or no user data
  kBadAckLength,      // ACK length not 4/8, or not matching the INIT flags
  kBadHeartbeat,      // no Heartbeat Info parameter, or its length overruns the chunk
  kBadCapability,     // capability chunk malformed
  kBadShutdown,       // SHUTDOWN with a value, or from a peer that sent no CAPABILITY
  kNoInit,            // a chunk before INIT
  kSecondInit,        // INIT seen twice
  kTsnOutOfSequence,  // DATA TSN not the next expected one
  kAckOutOfSequence,  // ACK not for the oldest un-ACKed TSN (checked in assoc)
  kInvalidStream,     // SID beyond the inbound streams we announced (checked in assoc)
  kCapabilityMissing, // INIT promised a CAPABILITY chunk and something else came
  kBadFragment,       // fragments out of B...E order, or differing SID/SSN/PPID/U within a message
  kMessageTooBig,     // a fragmented message beyond the max message we announced
  kBadError,          // ERROR chunk whose causes do not tile its value
};

const char* to_string(Error e);

// Serial-number arithmetic (RFC 9260 section 1.6, RFC 1982).
constexpr bool serial_lt(uint32_t a, uint32_t b) { return a != b && static_cast<uint32_t>(b - a) < 0x80000000u; }
constexpr bool serial_lt(uint16_t a, uint16_t b) { return a != b && static_cast<uint16_t>(b - a) < 0x8000u; }

}  // namespace sctpmap::wire
