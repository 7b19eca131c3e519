// SPDX-License-Identifier: MIT
// Per-association option values on one-to-many sockets (RFC 6458 8, with
// Linux's rules from net/sctp/socket.c): an option that carries an
// association id reads or writes that association's value; SCTP_FUTURE_ASSOC
// the socket's, which associations started later copy; SCTP_CURRENT_ASSOC
// every live association's, SCTP_ALL_ASSOC both, where the option's setter
// allows them. One-to-one sockets ignore the id, as Linux (the socket and
// its association are one).
#include <cstring>

#include "socket/options.hpp"
#include "socket/sctp_uapi.hpp"
#include "socket/socket.hpp"

namespace sctpmap::socket {
namespace {

template <class T>
int32_t id_at(const void* val, socklen_t len, sctp_assoc_t T::*field) {
  if (!val || len < static_cast<socklen_t>(sizeof(T))) return SCTP_FUTURE_ASSOC;
  T v;
  std::memcpy(&v, val, sizeof v);
  return v.*field;
}

}  // namespace

bool per_assoc_option(int name) {
  switch (name) {
    case SCTP_PEER_ADDR_PARAMS:
    case SCTP_RTOINFO:
    case SCTP_ASSOCINFO:
    case SCTP_DEFAULT_SEND_PARAM:
    case SCTP_DEFAULT_SNDINFO:
    case SCTP_CONTEXT:
    case SCTP_DELAYED_SACK:
    case SCTP_MAX_BURST:
    case SCTP_MAXSEG:
    case SCTP_EVENT:
      return true;
    default:
      return false;
  }
}

bool takes_current_assoc(int name) {
  switch (name) {
    case SCTP_DEFAULT_SEND_PARAM:
    case SCTP_DEFAULT_SNDINFO:
    case SCTP_CONTEXT:
    case SCTP_DELAYED_SACK:
    case SCTP_MAX_BURST:
    case SCTP_EVENT:
      return true;
    default:
      return false;
  }
}

int32_t option_assoc_id(int name, const void* val, socklen_t len) {
  switch (name) {
    case SCTP_PEER_ADDR_PARAMS: return id_at(val, len, &sctp_paddrparams::spp_assoc_id);
    case SCTP_RTOINFO: return id_at(val, len, &sctp_rtoinfo::srto_assoc_id);
    case SCTP_ASSOCINFO: return id_at(val, len, &sctp_assocparams::sasoc_assoc_id);
    case SCTP_DEFAULT_SEND_PARAM: return id_at(val, len, &sctp_sndrcvinfo::sinfo_assoc_id);
    case SCTP_DEFAULT_SNDINFO: return id_at(val, len, &sctp_sndinfo::snd_assoc_id);
    case SCTP_EVENT: return id_at(val, len, &sctp_event::se_assoc_id);
    case SCTP_DELAYED_SACK:
      // The deprecated struct sctp_assoc_value form, or struct sctp_sack_info.
      if (len == static_cast<socklen_t>(sizeof(sctp_assoc_value)))
        return id_at(val, len, &sctp_assoc_value::assoc_id);
      return id_at(val, len, &sctp_sack_info::sack_assoc_id);
    case SCTP_CONTEXT:
    case SCTP_MAX_BURST:
    case SCTP_MAXSEG:  // an int alone means the socket's (Linux: SCTP_FUTURE_ASSOC)
      return id_at(val, len, &sctp_assoc_value::assoc_id);
    default: return SCTP_FUTURE_ASSOC;
  }
}

void copy_assoc_values(Options& to, const Options& from) {
  const assoc::Config& a = from.assoc;
  to.assoc.rto_initial = a.rto_initial;
  to.assoc.rto_min = a.rto_min;
  to.assoc.rto_max = a.rto_max;
  to.assoc.hb_interval = a.hb_interval;
  to.assoc.hb_enabled = a.hb_enabled;
  to.assoc.path_max_retrans = a.path_max_retrans;
  to.assoc.assoc_max_retrans = a.assoc_max_retrans;
  to.default_send = from.default_send;
  to.context = from.context;
  to.sack_delay_ms = from.sack_delay_ms;
  to.sack_freq = from.sack_freq;
  to.max_burst = from.max_burst;
  to.assoc.maxseg = a.maxseg;
}

AssocInfo Socket::new_assoc(const sockaddr_storage& peer) const {
  AssocInfo info;
  info.peer = peer;
  info.opts = opts;
  info.doorbell->events.store(events());
  return info;
}

int Socket::option_targets(int name, int32_t id, bool setting, std::vector<Options*>* out,
                           std::vector<int32_t>* ids) {
  if (!one_to_many()) {
    out->push_back(&opts);
    return 0;
  }
  auto it = assocs.find(id);
  if (it != assocs.end() && it->second.phase != Phase::kClosed) {  // Linux: sctp_id2assoc
    out->push_back(&it->second.opts);
    ids->push_back(id);
    return 0;
  }
  const bool special = id == SCTP_FUTURE_ASSOC || ((id == SCTP_CURRENT_ASSOC || id == SCTP_ALL_ASSOC) &&
                                                    setting && takes_current_assoc(name));
  if (!special) return -EINVAL;
  if (id == SCTP_FUTURE_ASSOC || id == SCTP_ALL_ASSOC) out->push_back(&opts);
  if (id == SCTP_CURRENT_ASSOC || id == SCTP_ALL_ASSOC) {
    for (auto& [aid, a] : assocs) {
      if (a.phase == Phase::kClosed) continue;
      out->push_back(&a.opts);
      ids->push_back(aid);
    }
  }
  return 0;
}

}  // namespace sctpmap::socket
