// SPDX-License-Identifier: MIT
#include "assoc/tx_buffer.hpp"

#include <algorithm>

namespace sctpmap::assoc {

wire::Buffer& TxBuffer::out() {
  // Compact only before an append would otherwise grow the vector past a
  // mostly-written prefix; the memmove is paid for by the bytes written.
  if (head_ >= kCompactMin && head_ >= buf_.size() - head_) {
    buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(head_));
    base_ += head_;
    head_ = 0;
  }
  return buf_;
}

void TxBuffer::consume(size_t n) {
  head_ += std::min(n, buf_.size() - head_);
  if (head_ == buf_.size()) {
    // Everything written: restart at the front, keeping the capacity.
    base_ += head_;
    buf_.clear();
    head_ = 0;
  }
}

void TxBuffer::erase(uint64_t from, uint64_t to) {
  from = std::max(from, consumed_offset());
  to = std::min(to, end_offset());
  if (from >= to) return;
  const auto at = buf_.begin() + static_cast<std::ptrdiff_t>(from - base_);
  buf_.erase(at, at + static_cast<std::ptrdiff_t>(to - from));
}

void TxBuffer::clear() {
  base_ += buf_.size();
  buf_.clear();
  head_ = 0;
}

}  // namespace sctpmap::assoc
