// SPDX-License-Identifier: MIT
#include "assoc/unacked_queue.hpp"

namespace sctpmap::assoc {

void UnackedQueue::push(uint32_t tsn, uint32_t chunks, uint64_t start_offset, uint64_t end_offset,
                        Message&& message) {
  bytes_ += message.payload.size();
  q_.push_back(Unacked{tsn, chunks, 0, start_offset, end_offset, std::move(message)});
}

void UnackedQueue::ack_front_chunk() {
  if (q_.empty()) return;
  // The message's bytes stay counted against sndbuf until its last ACK.
  if (++q_.front().acked == q_.front().chunks) pop_front();
}

void UnackedQueue::pop_front() {
  if (q_.empty()) return;
  bytes_ -= q_.front().message.payload.size();
  q_.pop_front();
}

void UnackedQueue::pop_back() {
  if (q_.empty()) return;
  bytes_ -= q_.back().message.payload.size();
  q_.pop_back();
}

void UnackedQueue::clear() {
  q_.clear();
  bytes_ = 0;
}

}  // namespace sctpmap::assoc
