// SPDX-License-Identifier: MIT
// Association: the DATA path. Sending (one DATA chunk per message, or
// fragments when both sides announced fragmentation), receiving (whole
// messages to the sink, reassembly of fragments), ACKs in both directions.
// docs/PROTOCOL.md sections 11 and 15 are the rules implemented here; the
// wire::ChunkReader has already checked TSN and fragment order.
#include <algorithm>

#include "assoc/association.hpp"

namespace sctpmap::assoc {
namespace {

// sinfo_flags' SCTP_UNORDERED from <linux/sctp.h>; this layer may not include
// socket headers, and the value is ABI.
constexpr uint16_t kSctpUnordered = 1;

// After a large message the reassembly buffer is given back rather than kept
// at up to Config::max_message for the rest of the association.
constexpr size_t kKeepReassemblyCapacity = 256 * 1024;

}  // namespace

size_t Association::fragment_point() const { return our_format_.max_payload(); }

bool Association::fragmentation() const { return reader_.fragmentation(); }

size_t Association::max_message() const {
  const size_t one_chunk = fragment_point();
  if (!reader_.fragmentation()) return one_chunk;
  // Linux (sctp_sendmsg_parse): EMSGSIZE for a message above sk_sndbuf, so
  // a message never waits for more room than the buffer has. A message that
  // fits one chunk keeps today's rule instead (can_send: it goes when nothing
  // is un-ACKed, whatever sndbuf says).
  const size_t limit = std::min({config_.max_message, static_cast<size_t>(reader_.peer_max_message()),
                                 config_.sndbuf});
  return std::max(one_chunk, limit);
}

bool Association::can_send(size_t len) const {
  // A message bigger than the whole buffer still goes when nothing is queued,
  // as with SO_SNDBUF on a stream socket; otherwise it could never be sent.
  // (Only single-chunk messages can be: max_message() bounds the others.)
  return unacked_.empty() || unacked_.bytes() + len <= config_.sndbuf;
}

Result<void, SendError> Association::send(Message message, Instant now) {
  saw(now);
  switch (state_) {
    case State::kClosed:
    case State::kInitSent:
      return unexpected(shutdown_requested_ ? SendError::kShutdown : SendError::kNotUp);
    case State::kEstablished:
      break;
    default:  // RFC 6458 / Linux: EPIPE once SHUTDOWN started, from either side
      return unexpected(SendError::kShutdown);
  }
  const size_t len = message.payload.size();
  if (len == 0) return unexpected(SendError::kEmpty);
  if (len > max_message()) return unexpected(SendError::kTooBig);
  // With S in our INIT the stream word is gone: everything is stream 0.
  if (message.sid >= out_streams_ || (!our_format_.stream && message.sid != 0)) {
    return unexpected(SendError::kInvalidStream);
  }
  if (!can_send(len)) return unexpected(SendError::kNoBuffer);

  // Draft section 3: TSN from 0, +1 per DATA; SSN per stream as in SCTP
  // (RFC 9260 6.5), not advanced by unordered messages, which carry U and SSN 0.
  // All fragments of a message share its SID, SSN, PPID and U (RFC 9260 6.9).
  const bool unordered = (message.flags & kSctpUnordered) != 0;
  const uint16_t ssn = unordered ? uint16_t{0} : next_ssn_[message.sid]++;
  const uint8_t base = unordered ? wire::kDataUnordered : uint8_t{0};
  const bool frag = reader_.fragmentation();
  const size_t point = frag && config_.maxseg ? std::min(config_.maxseg, fragment_point()) : fragment_point();
  const uint32_t first_tsn = next_tsn_;
  const uint64_t start = tx_.end_offset();
  const wire::Bytes payload(message.payload);
  wire::Buffer& out = tx_.out();
  // docs/PROTOCOL.md 15.3: fragments back to back, never interleaved with
  // another message's DATA (send() is atomic, so that holds by construction).
  // Without negotiated fragmentation B/E stay 0 (reserved bits in the draft).
  for (size_t at = 0; at < len; at += point) {
    const size_t n = std::min(point, len - at);
    uint8_t flags = base;
    if (frag) {
      if (at == 0) flags |= wire::kDataBegin;
      if (at + n == len) flags |= wire::kDataEnd;
    }
    wire::encode_data(out, our_format_, flags, next_tsn_++, message.sid, ssn, message.ppid, payload.subspan(at, n));
  }
  unacked_.push(first_tsn, next_tsn_ - first_tsn, start, tx_.end_offset(), std::move(message));
  return {};
}

bool Association::unwritten_ttl_tail() const {
  const Unacked* u = unacked_.back();
  return u != nullptr && u->message.has_ttl() && u->start_offset >= tx_.consumed_offset();
}

// The mapping delivers whatever reaches TCP, so a PR-SCTP message can only
// be abandoned before its first byte is written (docs/ARCHITECTURE.md,
// "Time-to-live"). Taking back the newest message undoes exactly its send():
// its DATA bytes (ACKs queued after them stay), its TSNs and its SSN, so the
// peer sees the sequence it would have seen had it never been sent.
void Association::expire_tail(Instant now) {
  while (unwritten_ttl_tail() && unacked_.back()->message.expires <= now) {
    Unacked& u = *unacked_.back();
    tx_.erase(u.start_offset, u.end_offset);
    next_tsn_ -= u.chunks;
    if ((u.message.flags & kSctpUnordered) == 0) --next_ssn_[u.message.sid];
    events_.emplace_back(SendFailed{false, std::move(u.message)});
    unacked_.pop_back();
    maybe_send_shutdown();  // it may have been all that a graceful shutdown waited for
  }
}

void Association::delivered(uint32_t count, Instant now) {
  saw(now);
  if (state_ == State::kDone) return;
  // Draft section 3: exactly one ACK per DATA chunk delivered to the upper
  // layer, in TSN order; never for DATA the sink has not accepted. The
  // application counts messages; a reassembled one owes an ACK per fragment.
  uint64_t chunks = 0;
  for (uint32_t i = 0; i < count && !handed_chunks_.empty(); ++i) {
    chunks += handed_chunks_.front();
    handed_chunks_.pop_front();
  }
  write_acks(chunks);
}

void Association::write_acks(uint64_t chunks) {
  if (!can_write()) {  // our FIN is out: the ACKs can no longer be written
    acked_ += chunks;
    return;
  }
  // Draft: a peer whose INIT carried T also gets ACKs without the TSN.
  const bool with_tsn = (reader_.peer_init_flags() & wire::kInitOmitTsn) == 0;
  wire::Buffer& out = tx_.out();
  for (uint64_t i = 0; i < chunks; ++i) wire::encode_ack(out, with_tsn, static_cast<uint32_t>(acked_++));
}

Association::Step Association::on_data(const wire::Data& d, DeliverySink& sink) {
  // RFC 9260 6.8 / 3.3.10.1: a DATA chunk for a stream that does not exist
  // is an error. A peer that reads our ERROR chunk gets what Linux sends
  // (sctp_eat_data): the DATA is dropped but acknowledged, and an ERROR with
  // an Invalid Stream Identifier cause goes back; the association lives on.
  // The draft has no ERROR chunk, so for any other peer it ends here.
  if (d.sid >= in_streams_) {
    if (!peer_error_report_ || config_.strict_draft || !can_write()) {
      fail(LossReason::kProtocolError, wire::Error::kInvalidStream);
      return Step::kFailed;
    }
    const uint8_t cause[4] = {static_cast<uint8_t>(d.sid >> 8), static_cast<uint8_t>(d.sid), 0, 0};
    wire::encode_error(tx_.out(), wire::kCauseInvalidStream, wire::Bytes(cause, sizeof cause));
    // Its ACK keeps TSN order: with the last message the application has
    // not taken yet, or now.
    if (handed_chunks_.empty()) {
      write_acks(1);
    } else {
      ++handed_chunks_.back();
    }
    return Step::kNext;
  }
  if (!d.begin || !d.end) return on_fragment(d, sink);
  const Delivery delivery{d.tsn, d.sid, d.ssn, d.ppid, d.unordered(), d.payload};
  if (!sink.deliver(delivery)) return Step::kRefused;
  handed_chunks_.push_back(1);
  return Step::kNext;
}

// One fragment of a message (docs/PROTOCOL.md 15.4). The reader guarantees
// B...E order, equal fields and the size bound, so this only appends; the
// sink sees the whole message once, when its E fragment arrives, unless
// partial delivery starts first.
Association::Step Association::on_fragment(const wire::Data& d, DeliverySink& sink) {
  // SCTP's partial delivery: a one-to-one socket hands out each fragment as
  // it comes; so does any socket once the first piece of the message is out.
  if (rx_pd_open_ || config_.partial_delivery) {
    if (d.begin) rx_first_ = Delivery{d.tsn, d.sid, d.ssn, d.ppid, d.unordered(), {}};
    return deliver_fragment(d, sink);
  }
  if (d.begin) {
    reset_reassembly();
    rx_first_ = Delivery{d.tsn, d.sid, d.ssn, d.ppid, d.unordered(), {}};
  }
  const size_t before = rx_msg_.size();
  rx_msg_.insert(rx_msg_.end(), d.payload.begin(), d.payload.end());
  if (!d.end && !reached_pd_point()) {
    ++rx_chunks_;
    return Step::kNext;
  }
  // The whole message, or (the partial delivery point reached) what is in.
  Delivery out = rx_first_;
  out.payload = wire::Bytes(rx_msg_);
  out.piece = !d.end;
  out.more = !d.end;
  if (!sink.deliver(out)) {
    // The receive loop rolls the reader back to before this fragment and
    // will feed it again: undo its append so it is not counted twice.
    rx_msg_.resize(before);
    return Step::kRefused;
  }
  if (d.end) {
    handed_chunks_.push_back(rx_chunks_ + 1);
    reset_reassembly();
    return Step::kNext;
  }
  ++rx_chunks_;
  rx_pd_open_ = true;  // the rest goes fragment by fragment, as it comes
  release_reassembly_buffer();
  return Step::kNext;
}

// Linux (sctp_ulpq_retrieve_reassembled): partial delivery starts once the
// message's first fragments hold pd_point bytes or more.
bool Association::reached_pd_point() const { return config_.pd_point != 0 && rx_msg_.size() >= config_.pd_point; }

// One fragment as a piece of its message; ACKs still wait for the
// application to take the whole message.
Association::Step Association::deliver_fragment(const wire::Data& d, DeliverySink& sink) {
  Delivery piece = rx_first_;
  piece.payload = d.payload;
  piece.piece = true;
  piece.more = !d.end;
  if (!sink.deliver(piece)) return Step::kRefused;  // read again later, nothing kept
  ++rx_chunks_;
  rx_pd_open_ = !d.end;
  if (d.end) {
    handed_chunks_.push_back(rx_chunks_);
    rx_chunks_ = 0;
  }
  return Step::kNext;
}

void Association::release_reassembly_buffer() {
  if (rx_msg_.capacity() > kKeepReassemblyCapacity) {
    rx_msg_ = std::vector<uint8_t>();
  } else {
    rx_msg_.clear();
  }
}

void Association::reset_reassembly() {
  release_reassembly_buffer();
  rx_chunks_ = 0;
  rx_pd_open_ = false;
}

Association::Step Association::on_ack(const wire::Ack& a) {
  // Draft section 3: one ACK per DATA, in order, so an ACK always acknowledges
  // the oldest un-ACKed TSN (for a fragmented message, its next fragment's).
  // Anything else is a peer we cannot trust.
  // We do not require the chunk to be fully consume_tx()'d yet: the engine may
  // see the peer's ACK before its own write completion.
  const Unacked* oldest = unacked_.front();
  if (oldest == nullptr || (a.has_tsn && a.cum_tsn != oldest->next_tsn())) {
    fail(LossReason::kProtocolError, wire::Error::kAckOutOfSequence);
    return Step::kFailed;
  }
  unacked_.ack_front_chunk();
  // RFC 9260 8.1/8.2: an acknowledgement of outstanding DATA clears the error
  // counters.
  clear_errors(PathReason::kReceivedAck);
  // SCTP_SENDER_DRY_EVENT: the last outstanding DATA was ACKed (messages
  // the application queued behind it are the socket layer's to weigh).
  if (unacked_.empty() && report_dry_) events_.push_back(SenderDry{});
  maybe_send_shutdown();
  return Step::kNext;
}

}  // namespace sctpmap::assoc
