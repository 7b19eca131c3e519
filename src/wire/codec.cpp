// SPDX-License-Identifier: MIT
// Stateless chunk codec for the TCP mapping (draft-ietf-rserpool-tcpmapping-03,
// section 3) and sctpmap's CAPABILITY extension. docs/PROTOCOL.md is the
// specification this file implements; the comments cite its rules.
//
// Decoding happens in two steps so that a bad header fails as soon as its four
// bytes are in, without waiting for (possibly 64 KiB of) value bytes that can
// only be rejected anyway: check_header() validates type and Length against
// what the type allows, then the value is decoded once the padded chunk is
// complete. Every failure returns before anything is consumed.
#include "wire/codec.hpp"

#include <algorithm>
#include <cassert>
#include <optional>

#include "common/result.hpp"

namespace sctpmap::wire {
namespace {

constexpr size_t kParamHeaderSize = 4;
// Ours: CAPABILITY parameters (docs/PROTOCOL.md, "CAPABILITY").
constexpr uint16_t kCapStreamsParam = 1;
constexpr uint16_t kCapFeaturesParam = 2;
constexpr uint16_t kCapMaxMessageParam = 3;
constexpr uint16_t kCapAdaptationParam = 4;
constexpr uint16_t kCapParamLength = 8;  // every known parameter carries 4 value bytes
// Smallest valid CAPABILITY: header plus the mandatory streams parameter.
constexpr size_t kMinCapabilityLength = kChunkHeaderSize + kCapParamLength;
// Smallest valid HEARTBEAT: header plus an empty Heartbeat Info parameter.
constexpr size_t kMinHeartbeatLength = kChunkHeaderSize + kParamHeaderSize;
constexpr size_t kAckLengthWithTsn = kChunkHeaderSize + 4;

// Chunks and parameters are padded to a multiple of 4 bytes (draft 3, RFC 9260 3.2).
constexpr size_t padded(size_t n) { return (n + 3) & ~size_t{3}; }

// Network byte order, byte by byte: no alignment assumptions on the caller's buffer.
uint16_t get_u16(Bytes b, size_t at) { return static_cast<uint16_t>((b[at] << 8) | b[at + 1]); }

uint32_t get_u32(Bytes b, size_t at) {
  return (static_cast<uint32_t>(get_u16(b, at)) << 16) | get_u16(b, at + 2);
}

void put_u16(Buffer& out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}

void put_u32(Buffer& out, uint32_t v) {
  put_u16(out, static_cast<uint16_t>(v >> 16));
  put_u16(out, static_cast<uint16_t>(v));
}

void put_bytes(Buffer& out, Bytes b) { out.insert(out.end(), b.begin(), b.end()); }

// Zero padding after a chunk whose Length is `length`.
void put_padding(Buffer& out, size_t length) { out.insert(out.end(), padded(length) - length, 0); }

// No reserve() here: an exact reserve per chunk would defeat the vector's
// geometric growth and reallocate on every small chunk.
void put_header(Buffer& out, ChunkType type, uint8_t flags, size_t length) {
  // Callers bound lengths (the association refuses larger messages with EMSGSIZE).
  assert(length >= kChunkHeaderSize && length <= kMaxChunkLength);
  out.push_back(static_cast<uint8_t>(type));
  out.push_back(flags);
  put_u16(out, static_cast<uint16_t>(length));
}

enum class TypeClass : uint8_t { kKnown, kExtension, kReport, kBad };

// Draft 3 defines 0,1,3,4,5; 0x80..0x82 are ours. Other types follow the
// SCTP rule of RFC 9260 3.2 on their two high bits: 10 skip silently, 11
// skip and report (docs/PROTOCOL.md 16); 00 and 01 are reserved: an error.
TypeClass classify(uint8_t type) {
  switch (type) {
    case static_cast<uint8_t>(ChunkType::kData):
    case static_cast<uint8_t>(ChunkType::kInit):
    case static_cast<uint8_t>(ChunkType::kAck):
    case static_cast<uint8_t>(ChunkType::kHeartbeat):
    case static_cast<uint8_t>(ChunkType::kHeartbeatAck):
    case static_cast<uint8_t>(ChunkType::kCapability):
    case static_cast<uint8_t>(ChunkType::kShutdown):
    case static_cast<uint8_t>(ChunkType::kError):
      return TypeClass::kKnown;
    default:
      if ((type & 0xC0) == 0x80) return TypeClass::kExtension;
      return (type & 0xC0) == 0xC0 ? TypeClass::kReport : TypeClass::kBad;
  }
}

// Validates type and Length from the 4 header bytes alone.
std::optional<Error> check_header(uint8_t type, size_t length, const DecodeContext& ctx) {
  const TypeClass cls = classify(type);
  if (cls == TypeClass::kBad) return Error::kBadType;
  if (length < kChunkHeaderSize) return Error::kBadLength;
  if (cls != TypeClass::kKnown) return std::nullopt;
  switch (static_cast<ChunkType>(type)) {
    case ChunkType::kInit:
      if (length != kChunkHeaderSize) return Error::kBadLength;
      break;
    case ChunkType::kAck:
      // The Cumulative TSN is there iff our INIT did not carry T (draft 3.4).
      if (length != (ctx.ack_has_tsn ? kAckLengthWithTsn : kChunkHeaderSize)) return Error::kBadAckLength;
      break;
    case ChunkType::kData:
      // Every announced field plus at least one byte of user data.
      if (length < ctx.peer_data.header_size() + 1) return Error::kDataTooShort;
      break;
    case ChunkType::kHeartbeat:
    case ChunkType::kHeartbeatAck:
      if (length < kMinHeartbeatLength) return Error::kBadHeartbeat;
      break;
    case ChunkType::kCapability:
      if (length < kMinCapabilityLength) return Error::kBadCapability;
      break;
    case ChunkType::kShutdown:
      if (length != kChunkHeaderSize) return Error::kBadShutdown;
      break;
    case ChunkType::kError:
      break;  // zero causes is pointless but harmless
  }
  return std::nullopt;
}

Chunk decode_data(uint8_t flags, Bytes value, const DataFormat& format, bool fragments) {
  Data d;
  d.flags = flags & kDataUnordered;  // other DATA flag bits are reserved: ignored
  // B/E mean something only when both sides announced fragmentation
  // (docs/PROTOCOL.md 15.2); a draft peer's bits are reserved: a whole message.
  if (fragments) {
    d.begin = (flags & kDataBegin) != 0;
    d.end = (flags & kDataEnd) != 0;
  }
  d.has_tsn = format.tsn;
  size_t at = 0;
  if (format.tsn) {
    d.tsn = get_u32(value, at);
    at += 4;
  }
  if (format.stream) {
    d.sid = get_u16(value, at);
    d.ssn = get_u16(value, at + 2);
    at += 4;
  }
  if (format.ppid) {
    d.ppid = get_u32(value, at);
    at += 4;
  }
  d.payload = value.subspan(at);
  return d;
}

// Exactly one Heartbeat Info parameter (type 1). Its Length (4 + info) must fit
// in the chunk; the chunk may or may not count the parameter's padding (RFC 9260
// 3.2 says it does not, some stacks do), but nothing may follow the parameter.
Result<Bytes, Error> decode_heartbeat_info(Bytes value) {
  const uint16_t param_type = get_u16(value, 0);
  const size_t param_length = get_u16(value, 2);
  if (param_type != kHeartbeatInfoType || param_length < kParamHeaderSize || param_length > value.size() ||
      value.size() > padded(param_length)) {
    return unexpected(Error::kBadHeartbeat);
  }
  return value.subspan(kParamHeaderSize, param_length - kParamHeaderSize);
}

// Which known CAPABILITY parameters were seen (each at most once).
struct CapSeen {
  bool streams = false;
  bool features = false;
  bool max_message = false;
  bool adaptation = false;
};

// One known CAPABILITY parameter. A duplicate is an error: which copy would win
// is not obvious, and a correct sender never writes one.
bool apply_capability_param(Capability& cap, uint16_t type, Bytes value, CapSeen& seen) {
  if (type != kCapStreamsParam && type != kCapFeaturesParam && type != kCapMaxMessageParam &&
      type != kCapAdaptationParam) {
    return true;  // unknown parameters are skipped: room for later versions
  }
  if (value.size() != 4) return false;
  if (type == kCapAdaptationParam) {
    if (seen.adaptation) return false;
    cap.has_adaptation = true;
    cap.adaptation_ind = get_u32(value, 0);
    seen.adaptation = true;
  } else if (type == kCapStreamsParam) {
    if (seen.streams) return false;
    cap.outbound_streams = get_u16(value, 0);
    cap.max_inbound_streams = get_u16(value, 2);
    seen.streams = true;
  } else if (type == kCapFeaturesParam) {
    if (seen.features) return false;
    cap.features = get_u32(value, 0);
    seen.features = true;
  } else {
    // A maximum of 0 would announce fragmentation that can carry nothing.
    if (seen.max_message || get_u32(value, 0) == 0) return false;
    cap.max_message = get_u32(value, 0);
    seen.max_message = true;
  }
  return true;
}

Result<Chunk, Error> decode_capability(Bytes value) {
  Capability cap;
  CapSeen seen;
  size_t at = 0;
  while (at < value.size()) {
    const size_t left = value.size() - at;
    if (left < kParamHeaderSize) return unexpected(Error::kBadCapability);
    const uint16_t type = get_u16(value, at);
    const size_t length = get_u16(value, at + 2);
    if (length < kParamHeaderSize || length > left) return unexpected(Error::kBadCapability);
    if (!apply_capability_param(cap, type, value.subspan(at + kParamHeaderSize, length - kParamHeaderSize),
                                seen)) {
      return unexpected(Error::kBadCapability);
    }
    // The last parameter's padding may lie outside the chunk Length (RFC 9260 3.2).
    at += std::min(padded(length), left);
  }
  // Zero streams in either direction would make the association useless.
  if (!seen.streams || cap.outbound_streams == 0 || cap.max_inbound_streams == 0) {
    return unexpected(Error::kBadCapability);
  }
  // A receiver must know how much the peer reassembles before it fragments
  // (docs/PROTOCOL.md 15.1): the fragmentation bit needs the max message.
  if ((cap.features & kFeatureFragmentation) != 0 && !seen.max_message) {
    return unexpected(Error::kBadCapability);
  }
  return Chunk{cap};
}

// Causes tile the value: each at least its 4-byte header, each but the last
// padded to 4 inside the chunk (RFC 9260 3.3.10, as parameters in 3.2).
Result<Chunk, Error> decode_error(Bytes value) {
  size_t at = 0;
  while (at < value.size()) {
    const size_t left = value.size() - at;
    if (left < kParamHeaderSize) return unexpected(Error::kBadError);
    const size_t length = get_u16(value, at + 2);
    if (length < kParamHeaderSize || length > left) return unexpected(Error::kBadError);
    at += std::min(padded(length), left);
  }
  return Chunk{ErrorChunk{value}};
}

// Decodes the value of a chunk whose header already passed check_header().
// `whole` is the chunk, header included, for a skipped chunk's report.
Result<Chunk, Error> decode_value(uint8_t type, uint8_t flags, Bytes value, Bytes whole, const DecodeContext& ctx) {
  const TypeClass cls = classify(type);
  if (cls == TypeClass::kExtension || cls == TypeClass::kReport) {
    return Chunk{Skipped{type, cls == TypeClass::kReport, whole}};
  }
  switch (static_cast<ChunkType>(type)) {
    case ChunkType::kInit:
      // Reserved INIT bits carry no meaning for us: dropped, not an error.
      return Chunk{Init{static_cast<uint8_t>(flags & (kInitDraftFlags | kInitCapabilityFollows))}};
    case ChunkType::kData:
      return decode_data(flags, value, ctx.peer_data, ctx.fragments);
    case ChunkType::kAck:
      return Chunk{Ack{ctx.ack_has_tsn, ctx.ack_has_tsn ? get_u32(value, 0) : 0}};
    case ChunkType::kHeartbeat:
    case ChunkType::kHeartbeatAck: {
      auto info = decode_heartbeat_info(value);
      if (!info) return unexpected(info.error());
      if (type == static_cast<uint8_t>(ChunkType::kHeartbeat)) return Chunk{Heartbeat{*info}};
      return Chunk{HeartbeatAck{*info}};
    }
    case ChunkType::kCapability:
      return decode_capability(value);
    case ChunkType::kShutdown:
      return Chunk{Shutdown{}};
    case ChunkType::kError:
      return decode_error(value);
  }
  return unexpected(Error::kBadType);  // classify() already excluded this
}

// Chunk Length = 4 (header) + 4 (parameter header) + info: the parameter's own
// padding is not counted because it is the last parameter (RFC 9260 3.2); the
// chunk padding that follows supplies exactly those bytes.
void encode_heartbeat_chunk(Buffer& out, ChunkType type, Bytes info) {
  const size_t length = kMinHeartbeatLength + info.size();
  put_header(out, type, 0, length);
  put_u16(out, kHeartbeatInfoType);
  put_u16(out, static_cast<uint16_t>(kParamHeaderSize + info.size()));
  put_bytes(out, info);
  put_padding(out, length);
}

Decoded failed(Error e) {
  Decoded d;
  d.status = Decoded::Status::kError;
  d.error = e;
  return d;
}

}  // namespace

Decoded decode_chunk(Bytes bytes, const DecodeContext& ctx) {
  if (bytes.size() < kChunkHeaderSize) return Decoded{};  // need more
  const uint8_t type = bytes[0];
  const uint8_t flags = bytes[1];
  const size_t length = get_u16(bytes, 2);
  if (auto error = check_header(type, length, ctx)) return failed(*error);
  // A chunk is complete only with its padding: consuming it whole keeps the
  // next chunk aligned to the front of the caller's buffer.
  const size_t total = padded(length);
  if (bytes.size() < total) return Decoded{};
  auto chunk = decode_value(type, flags, bytes.subspan(kChunkHeaderSize, length - kChunkHeaderSize),
                            bytes.first(length), ctx);
  if (!chunk) return failed(chunk.error());
  Decoded d;
  d.status = Decoded::Status::kChunk;
  d.chunk = *chunk;
  d.consumed = total;
  return d;
}

void encode_init(Buffer& out, uint8_t flags) { put_header(out, ChunkType::kInit, flags, kChunkHeaderSize); }

void encode_data(Buffer& out, const DataFormat& ours, uint8_t flags, uint32_t tsn, uint16_t sid, uint16_t ssn,
                 uint32_t ppid, Bytes payload) {
  // The receiver rejects DATA without user data; the association never sends it.
  assert(!payload.empty());
  const size_t length = ours.header_size() + payload.size();
  put_header(out, ChunkType::kData, flags, length);
  if (ours.tsn) put_u32(out, tsn);
  if (ours.stream) {
    put_u16(out, sid);
    put_u16(out, ssn);
  }
  if (ours.ppid) put_u32(out, ppid);
  put_bytes(out, payload);
  put_padding(out, length);
}

void encode_ack(Buffer& out, bool with_tsn, uint32_t cum_tsn) {
  put_header(out, ChunkType::kAck, 0, with_tsn ? kAckLengthWithTsn : kChunkHeaderSize);
  if (with_tsn) put_u32(out, cum_tsn);
}

void encode_heartbeat(Buffer& out, Bytes info) { encode_heartbeat_chunk(out, ChunkType::kHeartbeat, info); }

void encode_heartbeat_ack(Buffer& out, Bytes info) { encode_heartbeat_chunk(out, ChunkType::kHeartbeatAck, info); }

void encode_shutdown(Buffer& out) { put_header(out, ChunkType::kShutdown, 0, kChunkHeaderSize); }

void encode_capability(Buffer& out, const Capability& cap) {
  const bool with_max = cap.max_message != 0;
  const size_t params = 2 + (with_max ? 1 : 0) + (cap.has_adaptation ? 1 : 0);
  put_header(out, ChunkType::kCapability, 0, kChunkHeaderSize + params * kCapParamLength);
  put_u16(out, kCapStreamsParam);
  put_u16(out, kCapParamLength);
  put_u16(out, cap.outbound_streams);
  put_u16(out, cap.max_inbound_streams);
  put_u16(out, kCapFeaturesParam);
  put_u16(out, kCapParamLength);
  put_u32(out, cap.features);
  if (with_max) {
    put_u16(out, kCapMaxMessageParam);
    put_u16(out, kCapParamLength);
    put_u32(out, cap.max_message);
  }
  if (cap.has_adaptation) {
    put_u16(out, kCapAdaptationParam);
    put_u16(out, kCapParamLength);
    put_u32(out, cap.adaptation_ind);
  }
}

void encode_error(Buffer& out, uint16_t cause, Bytes info) {
  // The cause must fit the chunk's 16-bit Length: a long unrecognized chunk
  // is reported by its front, which names it all the same.
  const size_t n = std::min(info.size(), kMaxChunkLength - kChunkHeaderSize - kParamHeaderSize);
  const size_t length = kChunkHeaderSize + kParamHeaderSize + n;
  put_header(out, ChunkType::kError, 0, length);
  put_u16(out, cause);
  put_u16(out, static_cast<uint16_t>(kParamHeaderSize + n));
  put_bytes(out, info.first(n));
  put_padding(out, length);
}

}  // namespace sctpmap::wire
