// SPDX-License-Identifier: MIT
#include "socket/notify.hpp"

#include "socket/sctp_uapi.hpp"

#include <arpa/inet.h>

#include <cstring>

namespace sctpmap::socket {
namespace {

template <class T>
std::vector<uint8_t> image(const T& s, const std::vector<uint8_t>* data = nullptr) {
  std::vector<uint8_t> out(sizeof(T) + (data ? data->size() : 0));
  std::memcpy(out.data(), &s, sizeof(T));
  if (data && !data->empty()) std::memcpy(out.data() + sizeof(T), data->data(), data->size());
  return out;
}

}  // namespace

std::vector<uint8_t> make_assoc_change(uint16_t state, uint16_t error, uint16_t os, uint16_t is, int32_t assoc_id) {
  sctp_assoc_change n{};
  n.sac_type = SCTP_ASSOC_CHANGE;
  n.sac_length = sizeof n;
  n.sac_state = state;
  n.sac_error = error;
  n.sac_outbound_streams = os;
  n.sac_inbound_streams = is;
  n.sac_assoc_id = assoc_id;
  return image(n);
}

std::vector<uint8_t> make_shutdown_event(int32_t assoc_id) {
  sctp_shutdown_event n{};
  n.sse_type = SCTP_SHUTDOWN_EVENT;
  n.sse_length = sizeof n;
  n.sse_assoc_id = assoc_id;
  return image(n);
}

std::vector<uint8_t> make_send_failed(const assoc::Message& m, bool was_sent, bool new_style, int32_t assoc_id) {
  const uint16_t flags = was_sent ? SCTP_DATA_SENT : SCTP_DATA_UNSENT;
  if (new_style) {
    sctp_send_failed_event n{};
    n.ssf_type = SCTP_SEND_FAILED_EVENT;
    n.ssf_flags = flags;
    n.ssf_length = static_cast<uint32_t>(sizeof n + m.payload.size());
    n.ssfe_info.snd_sid = m.sid;
    n.ssfe_info.snd_flags = m.flags;
    n.ssfe_info.snd_ppid = m.ppid;
    n.ssfe_info.snd_context = m.context;
    n.ssfe_info.snd_assoc_id = assoc_id;
    n.ssf_assoc_id = assoc_id;
    return image(n, &m.payload);
  }
  sctp_send_failed n{};
  n.ssf_type = SCTP_SEND_FAILED;
  n.ssf_flags = flags;
  n.ssf_length = static_cast<uint32_t>(sizeof n + m.payload.size());
  n.ssf_info.sinfo_stream = m.sid;
  n.ssf_info.sinfo_flags = m.flags;
  n.ssf_info.sinfo_ppid = m.ppid;
  n.ssf_info.sinfo_context = m.context;
  n.ssf_info.sinfo_assoc_id = assoc_id;
  n.ssf_assoc_id = assoc_id;
  return image(n, &m.payload);
}

std::vector<uint8_t> make_sender_dry(int32_t assoc_id) {
  sctp_sender_dry_event n{};
  n.sender_dry_type = SCTP_SENDER_DRY_EVENT;
  n.sender_dry_length = sizeof n;
  n.sender_dry_assoc_id = assoc_id;
  return image(n);
}

std::vector<uint8_t> make_adaptation(uint32_t ind, int32_t assoc_id) {
  sctp_adaptation_event n{};
  n.sai_type = SCTP_ADAPTATION_INDICATION;
  n.sai_length = sizeof n;
  n.sai_adaptation_ind = ind;
  n.sai_assoc_id = assoc_id;
  return image(n);
}

std::vector<uint8_t> make_remote_error(uint16_t cause, const std::vector<uint8_t>& info, int32_t assoc_id) {
  sctp_remote_error n{};
  n.sre_type = SCTP_REMOTE_ERROR;
  n.sre_length = static_cast<uint32_t>(sizeof n + info.size());
  n.sre_error = htons(cause);  // Linux copies the wire field unconverted
  n.sre_assoc_id = assoc_id;
  return image(n, &info);
}

std::vector<uint8_t> make_paddr_change(const sockaddr_storage& addr, int state, int error, int32_t assoc_id) {
  sctp_paddr_change n{};
  n.spc_type = SCTP_PEER_ADDR_CHANGE;
  n.spc_length = sizeof n;
  std::memcpy(&n.spc_aaddr, &addr, sizeof addr);
  n.spc_state = state;
  n.spc_error = error;
  n.spc_assoc_id = assoc_id;
  return image(n);
}

// RFC 6458 6.1.7 names the stream and sequence number of the message whose
// delivery was aborted.
std::vector<uint8_t> make_pdapi_aborted(uint16_t sid, uint16_t ssn, int32_t assoc_id) {
  sctp_pdapi_event n{};
  n.pdapi_type = SCTP_PARTIAL_DELIVERY_EVENT;
  n.pdapi_length = sizeof n;
  n.pdapi_indication = SCTP_PARTIAL_DELIVERY_ABORTED;
  n.pdapi_assoc_id = assoc_id;
  n.pdapi_stream = sid;
  n.pdapi_seq = ssn;
  return image(n);
}

}  // namespace sctpmap::socket
