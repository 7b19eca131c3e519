// SPDX-License-Identifier: MIT
// Socket options that Linux SCTP accepts and that change little or nothing
// over one TCP connection: they are stored, reported back, and checked the
// way Linux checks them (net/sctp/socket.c), so programs that set them run.
#include <netinet/in.h>

#include <cerrno>
#include <cstring>

#include "socket/option_bytes.hpp"
#include "socket/options.hpp"
#include "socket/sctp_uapi.hpp"

namespace sctpmap::socket {
namespace {

// Linux takes an int, or (newer API) a struct sctp_assoc_value whose
// assoc_value is the setting.
int read_int_or_assoc_value(const void* val, socklen_t len, uint32_t* out) {
  if (val && len == static_cast<socklen_t>(sizeof(int))) {
    int v;
    std::memcpy(&v, val, sizeof v);
    *out = static_cast<uint32_t>(v);
    return 0;
  }
  sctp_assoc_value av;
  if (int rc = read_opt(val, len, &av)) return rc;
  *out = av.assoc_value;
  return 0;
}

int write_assoc_value(void* val, socklen_t* len, uint32_t v) {
  sctp_assoc_value av{};
  if (val && len && *len >= static_cast<socklen_t>(sizeof av)) std::memcpy(&av, val, sizeof av);
  av.assoc_value = v;
  return write_opt(val, len, av);
}

int read_flag(const void* val, socklen_t len, bool* out) {
  int v;
  if (int rc = read_opt(val, len, &v)) return rc;
  *out = v != 0;
  return 0;
}

int set_delayed_sack(Options& o, const void* val, socklen_t len) {
  sctp_sack_info si{};
  if (val && len == static_cast<socklen_t>(sizeof(sctp_assoc_value))) {
    sctp_assoc_value av;  // the deprecated form: the delay alone
    std::memcpy(&av, val, sizeof av);
    si.sack_delay = av.assoc_value;
  } else if (int rc = read_opt(val, len, &si)) {
    return rc;
  }
  if (si.sack_delay > 500) return -EINVAL;  // RFC 9260 6.2: at most 500 ms
  if (si.sack_delay == 0 && si.sack_freq == 0) return 0;
  if (si.sack_delay) o.sack_delay_ms = si.sack_delay;
  if (si.sack_freq) o.sack_freq = si.sack_freq;
  return 0;
}

// Linux (sctp_setsockopt_default_prinfo): the exact struct, a known policy;
// under no policy the value is 0. The policy lives in the default flags.
int set_default_prinfo(Options& o, const void* val, socklen_t len) {
  sctp_default_prinfo info;
  if (!val || len != static_cast<socklen_t>(sizeof info)) return -EINVAL;
  std::memcpy(&info, val, sizeof info);
  if (info.pr_policy & ~SCTP_PR_SCTP_MASK) return -EINVAL;
  if (info.pr_policy == SCTP_PR_SCTP_NONE) info.pr_value = 0;
  o.default_send.sinfo_flags =
      static_cast<uint16_t>((o.default_send.sinfo_flags & ~SCTP_PR_SCTP_MASK) | info.pr_policy);
  o.default_send.sinfo_timetolive = info.pr_value;
  return 0;
}

int get_default_prinfo(const Options& o, void* val, socklen_t* len) {
  sctp_default_prinfo info{};
  if (int rc = read_opt(val, len ? *len : 0, &info)) return rc;
  info.pr_policy = SCTP_PR_POLICY(o.default_send.sinfo_flags);
  info.pr_value = o.default_send.sinfo_timetolive;
  return write_opt(val, len, info);
}

}  // namespace

int set_tunable(Options& o, int name, const void* val, socklen_t len) {
  switch (name) {
    case SCTP_CONTEXT: {
      sctp_assoc_value av;
      if (int rc = read_opt(val, len, &av)) return rc;
      o.context = av.assoc_value;
      return 0;
    }
    case SCTP_ADAPTATION_LAYER: {
      sctp_setadaptation a;
      if (int rc = read_opt(val, len, &a)) return rc;
      o.assoc.adaptation_ind = a.ssb_adaptation_ind;
      return 0;
    }
    case SCTP_DISABLE_FRAGMENTS: return read_flag(val, len, &o.disable_fragments);
    case SCTP_MAX_BURST: return read_int_or_assoc_value(val, len, &o.max_burst);
    case SCTP_DELAYED_SACK: return set_delayed_sack(o, val, len);
    case SCTP_PARTIAL_DELIVERY_POINT: {
      uint32_t v;
      if (len != static_cast<socklen_t>(sizeof v)) return -EINVAL;  // Linux: exactly a u32
      if (int rc = read_opt(val, len, &v)) return rc;
      // Linux: no larger than half the receive buffer.
      if (v > static_cast<uint32_t>(o.rcvbuf) / 2) return -EINVAL;
      o.pd_point = v;
      return 0;
    }
    case SCTP_FRAGMENT_INTERLEAVE:
      // Linux: exactly an int; any value but 0 is on (2, RFC 6458's
      // interleaving of streams too, reads back as 1).
      if (len != static_cast<socklen_t>(sizeof(int))) return -EINVAL;
      return read_flag(val, len, &o.fragment_interleave);
    case SCTP_I_WANT_MAPPED_V4_ADDR: return read_flag(val, len, &o.v4mapped);
    case SCTP_RECVNXTINFO: return read_flag(val, len, &o.recv_nxtinfo);
    case SCTP_DEFAULT_PRINFO: return set_default_prinfo(o, val, len);
    case SCTP_PR_SUPPORTED: {
      if (len != static_cast<socklen_t>(sizeof(sctp_assoc_value))) return -EINVAL;  // Linux: exactly
      sctp_assoc_value av;
      if (int rc = read_opt(val, len, &av)) return rc;
      o.pr_supported = av.assoc_value != 0;
      return 0;
    }
    default: return -ENOPROTOOPT;
  }
}

int get_tunable(const Options& o, int name, void* val, socklen_t* len) {
  switch (name) {
    case SCTP_CONTEXT: return write_assoc_value(val, len, o.context);
    case SCTP_ADAPTATION_LAYER: return write_opt(val, len, sctp_setadaptation{o.assoc.adaptation_ind});
    case SCTP_DISABLE_FRAGMENTS: return write_int(val, len, o.disable_fragments);
    case SCTP_MAX_BURST:
      if (len && *len == static_cast<socklen_t>(sizeof(int))) return write_int(val, len, static_cast<int>(o.max_burst));
      return write_assoc_value(val, len, o.max_burst);
    case SCTP_DELAYED_SACK: {
      sctp_sack_info si{};
      if (val && len && *len >= static_cast<socklen_t>(sizeof si)) std::memcpy(&si, val, sizeof si);
      si.sack_delay = o.sack_delay_ms;
      si.sack_freq = o.sack_freq;
      return write_opt(val, len, si);
    }
    case SCTP_PARTIAL_DELIVERY_POINT: return write_opt(val, len, o.pd_point);
    case SCTP_FRAGMENT_INTERLEAVE: return write_int(val, len, o.fragment_interleave);
    case SCTP_I_WANT_MAPPED_V4_ADDR: return write_int(val, len, o.v4mapped);
    case SCTP_RECVNXTINFO: return write_int(val, len, o.recv_nxtinfo);
    case SCTP_DEFAULT_PRINFO: return get_default_prinfo(o, val, len);
    case SCTP_PR_SUPPORTED: return write_assoc_value(val, len, o.pr_supported);
    default: return -ENOPROTOOPT;
  }
}

}  // namespace sctpmap::socket
