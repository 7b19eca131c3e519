// SPDX-License-Identifier: MIT
// Messages sent but not yet ACKed, oldest (lowest TSN) first. The draft's ACK
// acknowledges exactly one DATA chunk, always the oldest, so this is a FIFO.
// A fragmented message (docs/PROTOCOL.md 15) is one entry covering `chunks`
// consecutive TSNs; it leaves the queue when its last fragment is ACKed.
// On failure the queue is drained in TSN order into SEND_FAILED events
// (RFC 6458 section 6.1.5, the draft's "undelivered message retrieval").
#pragma once

#include <cstdint>
#include <deque>

#include "assoc/events.hpp"

namespace sctpmap::assoc {

struct Unacked {
  uint32_t tsn = 0;         // TSN of its first (or only) DATA chunk
  uint32_t chunks = 1;      // DATA chunks it was sent in
  uint32_t acked = 0;       // of those, ACKed so far
  uint64_t start_offset = 0;  // absolute tx byte offset where its first DATA chunk starts
  uint64_t end_offset = 0;  // absolute tx byte offset where its last DATA chunk ends
  Message message;
  uint32_t next_tsn() const { return tsn + acked; }  // the TSN the next ACK must carry
};

class UnackedQueue {
 public:
  void push(uint32_t tsn, uint32_t chunks, uint64_t start_offset, uint64_t end_offset, Message&& message);
  const Unacked* front() const { return q_.empty() ? nullptr : &q_.front(); }
  Unacked* back() { return q_.empty() ? nullptr : &q_.back(); }
  const Unacked* back() const { return q_.empty() ? nullptr : &q_.back(); }
  // One ACK for the front message's next chunk; pops it after its last one.
  void ack_front_chunk();
  void pop_front();
  void pop_back();  // the newest message, taken back before any of it was written
  void clear();

  bool empty() const { return q_.empty(); }
  size_t count() const { return q_.size(); }
  size_t bytes() const { return bytes_; }  // payload bytes, the sndbuf measure

  // Moves every message out, oldest first, as SendFailed: was_sent when its
  // last chunk ended at or before `written` (the tx offset consumed so far).
  // A message with some fragments ACKed is not returned: a receiver ACKs a
  // fragment only once its application took the whole message
  // (docs/PROTOCOL.md 15.4), so it was delivered; only the ACKs of its other
  // fragments were lost with the connection.
  template <class Emit>
  void drain(uint64_t written, Emit&& emit) {
    for (Unacked& u : q_) {
      if (u.acked == 0) emit(SendFailed{u.end_offset <= written, std::move(u.message)});
    }
    clear();
  }

 private:
  std::deque<Unacked> q_;
  size_t bytes_ = 0;
};

}  // namespace sctpmap::assoc
