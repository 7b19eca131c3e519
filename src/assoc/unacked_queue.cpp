// SPDX-License-Identifier: MIT
#include "assoc/unacked_queue.hpp"

namespace sctpmap::assoc {

void UnackedQueue::push(uint32_t tsn, uint64_t end_offset, Message&& message) {
  bytes_ += message.payload.size();
  q_.push_back(Unacked{tsn, end_offset, std::move(message)});
}

void UnackedQueue::pop_front() {
  if (q_.empty()) return;
  bytes_ -= q_.front().message.payload.size();
  q_.pop_front();
}

void UnackedQueue::clear() {
  q_.clear();
  bytes_ = 0;
}

}  // namespace sctpmap::assoc
