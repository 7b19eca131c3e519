// SPDX-License-Identifier: MIT
// Notification -> text line for sctp_peer (vocabulary in peer_events.hpp).
// Layouts are Linux's (<linux/sctp.h>), read field by field after checking
// the lengths, because a wrong layout from the library under test must show
// as EVENT_BAD rather than as garbage or a crash.
#include "peer_events.hpp"

#include <netinet/sctp.h>

#include <cstdio>
#include <cstring>

namespace sctpmap::test {
namespace {

std::string format(const char* fmt, auto... args) {
  char line[256];
  std::snprintf(line, sizeof line, fmt, args...);
  return line;
}

const char* assoc_state_name(unsigned state) {
  switch (state) {
    case SCTP_COMM_UP: return "COMM_UP";
    case SCTP_COMM_LOST: return "COMM_LOST";
    case SCTP_RESTART: return "RESTART";
    case SCTP_SHUTDOWN_COMP: return "SHUTDOWN_COMP";
    case SCTP_CANT_STR_ASSOC: return "CANT_STR_ASSOC";
    default: return "UNKNOWN_STATE";
  }
}

std::string flags_name(unsigned flags) {
  if (flags == SCTP_DATA_SENT) return "SENT";
  if (flags == SCTP_DATA_UNSENT) return "UNSENT";
  return format("0x%x", flags);
}

// Shared by SEND_FAILED and SEND_FAILED_EVENT: the returned message bytes
// follow a fixed-size header; ssf_length counts header plus bytes.
std::string describe_failed(const char* name, unsigned flags, uint32_t length, uint32_t error,
                            size_t header, uint16_t sid, uint32_t ppid, const uint8_t* base,
                            size_t n, const Schedule& schedule) {
  if (length < header || length != n) {
    return format("EVENT_BAD %s ssf_length=%u read=%zu header=%zu", name, length, n, header);
  }
  const uint8_t* data = base + header;
  const size_t len = length - header;
  const uint64_t seq = Schedule::header_seq(data, len);
  const bool intact = seq != kNoSeq && schedule.matches(seq, data, len);
  const bool info = seq != kNoSeq && sid == schedule.stream_of(seq) && ppid == schedule.ppid_of(seq);
  return format("EVENT %s flags=%s err=%u len=%zu seq=%lld intact=%d info=%s sid=%u ppid=0x%x",
                name, flags_name(flags).c_str(), error, len,
                seq == kNoSeq ? -1LL : (long long)seq, intact ? 1 : 0, info ? "ok" : "bad",
                unsigned(sid), ppid);
}

}  // namespace

int assoc_change_state(const void* buf, size_t n) {
  sctp_assoc_change sac;
  if (n < sizeof sac) return -1;
  std::memcpy(&sac, buf, sizeof sac);
  return sac.sac_type == SCTP_ASSOC_CHANGE ? sac.sac_state : -1;
}

std::string describe_notification(const void* buf, size_t n, const Schedule& schedule) {
  decltype(sctp_notification::sn_header) header;
  if (n < sizeof header) return format("EVENT_BAD short notification read=%zu", n);
  std::memcpy(&header, buf, sizeof header);
  // Every notification states its own length; it must be what recv returned.
  if (header.sn_length != n) {
    return format("EVENT_BAD type=0x%x sn_length=%u read=%zu", unsigned(header.sn_type),
                  unsigned(header.sn_length), n);
  }
  const auto* bytes = static_cast<const uint8_t*>(buf);
  switch (header.sn_type) {
    case SCTP_ASSOC_CHANGE: {
      sctp_assoc_change sac;
      if (n < sizeof sac) return format("EVENT_BAD ASSOC_CHANGE read=%zu", n);
      std::memcpy(&sac, buf, sizeof sac);
      return format("EVENT ASSOC_CHANGE %s error=%u in=%u out=%u", assoc_state_name(sac.sac_state),
                    unsigned(sac.sac_error), unsigned(sac.sac_inbound_streams),
                    unsigned(sac.sac_outbound_streams));
    }
    case SCTP_SHUTDOWN_EVENT:
      return "EVENT SHUTDOWN_EVENT";
    case SCTP_SEND_FAILED: {
      sctp_send_failed ssf;
      if (n < sizeof ssf) return format("EVENT_BAD SEND_FAILED read=%zu", n);
      std::memcpy(&ssf, buf, sizeof ssf);
      return describe_failed("SEND_FAILED", ssf.ssf_flags, ssf.ssf_length, ssf.ssf_error,
                             sizeof ssf, ssf.ssf_info.sinfo_stream, ssf.ssf_info.sinfo_ppid, bytes,
                             n, schedule);
    }
    case SCTP_SEND_FAILED_EVENT: {
      sctp_send_failed_event ssf;
      if (n < sizeof ssf) return format("EVENT_BAD SEND_FAILED_EVENT read=%zu", n);
      std::memcpy(&ssf, buf, sizeof ssf);
      return describe_failed("SEND_FAILED_EVENT", ssf.ssf_flags, ssf.ssf_length, ssf.ssf_error,
                             sizeof ssf, ssf.ssfe_info.snd_sid, ssf.ssfe_info.snd_ppid, bytes, n,
                             schedule);
    }
    case SCTP_PEER_ADDR_CHANGE: {
      sctp_paddr_change spc;
      if (n < sizeof spc) return format("EVENT_BAD PEER_ADDR_CHANGE read=%zu", n);
      std::memcpy(&spc, buf, sizeof spc);
      return format("EVENT PEER_ADDR_CHANGE state=%d error=%d", spc.spc_state, spc.spc_error);
    }
    case SCTP_REMOTE_ERROR: {
      sctp_remote_error sre;
      if (n < sizeof sre) return format("EVENT_BAD REMOTE_ERROR read=%zu", n);
      std::memcpy(&sre, buf, sizeof sre);
      return format("EVENT REMOTE_ERROR error=%u", unsigned(sre.sre_error));
    }
    case SCTP_PARTIAL_DELIVERY_EVENT: {
      sctp_pdapi_event pd;
      if (n < sizeof pd) return format("EVENT_BAD PARTIAL_DELIVERY read=%zu", n);
      std::memcpy(&pd, buf, sizeof pd);
      return format("EVENT PARTIAL_DELIVERY indication=%u", pd.pdapi_indication);
    }
    case SCTP_ADAPTATION_INDICATION: {
      sctp_adaptation_event ad;
      if (n < sizeof ad) return format("EVENT_BAD ADAPTATION read=%zu", n);
      std::memcpy(&ad, buf, sizeof ad);
      return format("EVENT ADAPTATION ind=%u", ad.sai_adaptation_ind);
    }
    case SCTP_SENDER_DRY_EVENT:
      return "EVENT SENDER_DRY";
    default:
      return format("EVENT TYPE 0x%x", unsigned(header.sn_type));
  }
}

}  // namespace sctpmap::test
