// SPDX-License-Identifier: MIT
// Bytes queued for TCP, in order. Encoders append to out(); the engine reads
// pending() and reports what it wrote with consume(). Offsets are absolute
// (bytes since the connection started) so the un-ACKed queue can tell whether a
// message's DATA chunk was fully written (SCTP_DATA_SENT vs SCTP_DATA_UNSENT).
//
// Consumed bytes are dropped lazily: all at once when everything is written,
// otherwise only when the written prefix is at least as large as what is left,
// so each byte is moved at most a constant number of times (no O(n^2)).
#pragma once

#include <cstdint>

#include "wire/codec.hpp"

namespace sctpmap::assoc {

class TxBuffer {
 public:
  // The buffer to append chunks to. Invalidates earlier pending() views.
  wire::Buffer& out();
  wire::Bytes pending() const { return wire::Bytes(buf_.data() + head_, buf_.size() - head_); }
  bool empty() const { return head_ == buf_.size(); }
  // Marks the first `n` pending bytes written (clamped to what is pending).
  void consume(size_t n);
  // Drops everything queued (the association is over).
  void clear();
  // Removes the bytes at absolute offsets [from, to), none of them written
  // yet (from >= consumed_offset()); what followed them moves up.
  void erase(uint64_t from, uint64_t to);

  uint64_t consumed_offset() const { return base_ + head_; }
  uint64_t end_offset() const { return base_ + buf_.size(); }

 private:
  // Below this many written bytes compaction is not worth a memmove.
  static constexpr size_t kCompactMin = 4096;

  wire::Buffer buf_;
  size_t head_ = 0;    // bytes of buf_ already written
  uint64_t base_ = 0;  // absolute offset of buf_[0]
};

}  // namespace sctpmap::assoc
