// SPDX-License-Identifier: MIT
#include "socket/notify.hpp"

#include "socket/sctp_uapi.hpp"

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

}  // namespace sctpmap::socket
