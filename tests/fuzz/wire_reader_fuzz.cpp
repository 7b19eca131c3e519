// SPDX-License-Identifier: MIT
// libFuzzer target: arbitrary bytes through ChunkReader. Input: byte 0 = our
// INIT flags (decides the ACK format; its bit 0x40, reserved in INIT, means
// "we announced fragmentation with a max message of 4096", so a peer
// CAPABILITY offering it turns on the fragment rules), byte 1 = seed for the
// piece sizes, rest = the received stream. Oracle: fed in pieces, the reader must produce the same
// chunks and the same verdict as fed everything at once (need-more and errors
// consume nothing), and every decoded view must lie inside the buffer.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <variant>
#include <vector>

#include "wire/reader.hpp"

namespace {

using sctpmap::wire::Bytes;
using sctpmap::wire::ChunkReader;
using sctpmap::wire::Decoded;

struct Outcome {
  size_t chunks = 0;
  size_t consumed = 0;
  Decoded::Status last = Decoded::Status::kNeedMore;
  int error = -1;
};

void check_view(Bytes view, const std::vector<uint8_t>& buf) {
  if (!view.empty() && (view.data() < buf.data() || view.data() + view.size() > buf.data() + buf.size())) {
    __builtin_trap();
  }
}

void check_chunk(const Decoded& d, const std::vector<uint8_t>& buf) {
  if (d.consumed == 0 || d.consumed > buf.size() || d.consumed % 4 != 0) __builtin_trap();
  if (const auto* data = std::get_if<sctpmap::wire::Data>(&d.chunk)) check_view(data->payload, buf);
  if (const auto* hb = std::get_if<sctpmap::wire::Heartbeat>(&d.chunk)) check_view(hb->info, buf);
  if (const auto* hba = std::get_if<sctpmap::wire::HeartbeatAck>(&d.chunk)) check_view(hba->info, buf);
}

// Without a seed: everything at once; with one: pieces of 1..64 bytes from a small LCG.
Outcome run(uint8_t our_flags, const uint8_t* data, size_t size, std::optional<uint32_t> seed) {
  constexpr uint8_t kAnnounceFragmentation = 0x40;
  const bool frag = (our_flags & kAnnounceFragmentation) != 0;
  ChunkReader reader(our_flags, frag ? sctpmap::wire::kFeatureFragmentation : 0, frag ? 4096 : 0);
  std::vector<uint8_t> buf;
  Outcome out;
  size_t at = 0;
  do {
    size_t piece = size - at;
    if (seed) {
      *seed = *seed * 1103515245u + 12345u;
      piece = std::min<size_t>(1 + (*seed >> 16) % 64, piece);
    }
    buf.insert(buf.end(), data + at, data + at + piece);
    at += piece;
    for (;;) {
      const Decoded d = reader.next(buf);
      out.last = d.status;
      if (d.status != Decoded::Status::kChunk) {
        if (d.consumed != 0) __builtin_trap();
        if (d.status == Decoded::Status::kError) {
          out.error = static_cast<int>(d.error);
          return out;
        }
        break;
      }
      check_chunk(d, buf);
      ++out.chunks;
      out.consumed += d.consumed;
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(d.consumed));
    }
  } while (at < size);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const Outcome whole = run(data[0], data + 2, size - 2, std::nullopt);
  const Outcome split = run(data[0], data + 2, size - 2, data[1]);
  if (whole.chunks != split.chunks || whole.consumed != split.consumed || whole.last != split.last ||
      whole.error != split.error) {
    __builtin_trap();
  }
  return 0;
}
