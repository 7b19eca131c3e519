// SPDX-License-Identifier: MIT
// Receiver-side checks for one association of sctp_peer: every message is a
// whole message (MSG_EOR, exact length), carries the stream and PPID it was
// sent with (sinfo echo), ordered messages arrive in per-stream order with
// consecutive SSNs, the unordered flag is echoed, and nothing is lost or
// duplicated. The first violation is kept as the association's error.
#pragma once

#include <netinet/sctp.h>
#include <sys/socket.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "peer_payload.hpp"

namespace sctpmap::test {

class Verifier {
 public:
  Verifier(const Schedule& schedule, uint64_t count) : schedule_(schedule), count_(count) {
    for (uint32_t s = 0; s < schedule.streams; ++s) {
      next_ordered_.push_back(schedule.next_ordered(uint16_t(s), kNoSeq));
      next_ssn_.push_back(0);
    }
  }

  // A data message of n bytes; sinfo as filled by sctp_recvmsg (the caller
  // pre-fills it with 0xff so a missing SCTP_SNDRCV shows).
  void on_message(const uint8_t* p, size_t n, const sctp_sndrcvinfo& sinfo, int flags) {
    ++received_;
    bytes_ += n;
    if (!error_.empty()) return;
    if (!(flags & MSG_EOR)) return fail("message %llu without MSG_EOR (len %zu)", received_, n);
    if (sinfo.sinfo_stream == 0xffff && sinfo.sinfo_ppid == 0xffffffffu)
      return fail("no SCTP_SNDRCV ancillary data on message %llu", received_);
    const uint16_t stream = sinfo.sinfo_stream;
    if (stream >= schedule_.streams) return fail("stream %u out of range", unsigned(stream));
    const bool unordered = (sinfo.sinfo_flags & SCTP_UNORDERED) != 0;
    uint64_t seq = Schedule::header_seq(p, n);
    if (n < kHeaderSize) {
      if (unordered) return fail("short unordered message len %zu", n);
      seq = next_ordered_[stream];
    } else if (seq == kNoSeq) {
      return fail("message %llu of %zu bytes has no header (boundary lost?)", received_, n);
    }
    if (seq == kNoSeq || (count_ != 0 && seq >= count_))
      return fail("unexpected message seq %lld len %zu on stream %u", (long long)seq, n,
                  unsigned(stream));
    if (!schedule_.matches(seq, p, n))
      return fail("seq %llu: %zu bytes do not match (expected %u)", (unsigned long long)seq, n,
                  schedule_.size_of(seq));
    if (schedule_.stream_of(seq) != stream)
      return fail("seq %llu arrived on stream %u", (unsigned long long)seq, unsigned(stream));
    if (schedule_.ppid_of(seq) != sinfo.sinfo_ppid)
      return fail("seq %llu ppid 0x%x, expected 0x%x", (unsigned long long)seq, sinfo.sinfo_ppid,
                  schedule_.ppid_of(seq));
    if (schedule_.unordered(seq) != unordered)
      return fail("seq %llu SCTP_UNORDERED flag %d", (unsigned long long)seq, int(unordered));
    if (!unordered) {
      if (seq != next_ordered_[stream])
        return fail("stream %u order: got seq %llu, expected %llu", unsigned(stream),
                    (unsigned long long)seq, (unsigned long long)next_ordered_[stream]);
      next_ordered_[stream] = schedule_.next_ordered(stream, seq);
      if (sinfo.sinfo_ssn != next_ssn_[stream])
        return fail("stream %u seq %llu ssn %u, expected %u", unsigned(stream),
                    (unsigned long long)seq, unsigned(sinfo.sinfo_ssn), unsigned(next_ssn_[stream]));
      ++next_ssn_[stream];
    }
    if (seen_.size() <= seq) seen_.resize(seq + 1, 0);
    if (seen_[seq]) return fail("duplicate seq %llu", (unsigned long long)seq);
    seen_[seq] = 1;
  }

  // At the end of the association: complete is true when it ended
  // gracefully (so every message sent must have arrived).
  void finish(bool complete) {
    if (!error_.empty() || !complete) return;
    const uint64_t want = count_ != 0 ? count_ : received_;
    if (received_ != want) return fail("received %llu of %llu", received_, (unsigned long long)want);
    for (uint64_t s = 0; s < want; ++s) {
      if (s >= seen_.size() || !seen_[s]) return fail("seq %llu missing", (unsigned long long)s);
    }
  }

  unsigned long long received() const { return received_; }
  unsigned long long bytes() const { return bytes_; }
  const std::string& error() const { return error_; }

 private:
  template <typename... A>
  void fail(const char* fmt, A... args) {
    char line[256];
    std::snprintf(line, sizeof line, fmt, args...);
    error_ = line;
    for (char& c : error_) c = c == ' ' ? '_' : c;  // keep the report one token
  }

  Schedule schedule_;
  uint64_t count_;
  std::vector<uint64_t> next_ordered_;
  std::vector<uint16_t> next_ssn_;
  std::vector<uint8_t> seen_;
  unsigned long long received_ = 0;
  unsigned long long bytes_ = 0;
  std::string error_;
};

}  // namespace sctpmap::test
