// SPDX-License-Identifier: MIT
// Messages sent but not yet ACKed, oldest (lowest TSN) first. The draft's ACK
// acknowledges exactly one DATA chunk, always the oldest, so this is a FIFO.
// On failure the queue is drained in TSN order into SEND_FAILED events
// (RFC 6458 section 6.1.5, the draft's "undelivered message retrieval").
#pragma once

#include <cstdint>
#include <deque>

#include "assoc/events.hpp"

namespace sctpmap::assoc {

struct Unacked {
  uint32_t tsn = 0;
  uint64_t end_offset = 0;  // absolute tx byte offset where its DATA chunk ends
  Message message;
};

class UnackedQueue {
 public:
  void push(uint32_t tsn, uint64_t end_offset, Message&& message);
  const Unacked* front() const { return q_.empty() ? nullptr : &q_.front(); }
  void pop_front();
  void clear();

  bool empty() const { return q_.empty(); }
  size_t count() const { return q_.size(); }
  size_t bytes() const { return bytes_; }  // payload bytes, the sndbuf measure

  // Moves every message out, oldest first, as SendFailed: was_sent when its
  // chunk ended at or before `written` (the tx offset consumed so far).
  template <class Emit>
  void drain(uint64_t written, Emit&& emit) {
    for (Unacked& u : q_) emit(SendFailed{u.end_offset <= written, std::move(u.message)});
    clear();
  }

 private:
  std::deque<Unacked> q_;
  size_t bytes_ = 0;
};

}  // namespace sctpmap::assoc
