// SPDX-License-Identifier: MIT
// Socket options (RFC 6458 section 8, Linux semantics and errno values).
#include "socket/sctp_uapi.hpp"
#include <netinet/in.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <set>
#include <vector>

#include "common/log.hpp"
#include "common/sys.hpp"
#include "engine/reactor.hpp"
#include "socket/addr.hpp"
#include "socket/conn.hpp"
#include "socket/hub.hpp"
#include "socket/option_bytes.hpp"
#include "socket/socket.hpp"
#include "wire/chunk.hpp"

namespace sctpmap::socket {
namespace {

void log_unknown_once(int level, int name) {
  static std::mutex mu;
  static std::set<std::pair<int, int>> seen;
  std::lock_guard lock(mu);
  if (seen.insert({level, name}).second)
    SCTPMAP_LOG(kDebug, "socket option level %d name %d not supported: ENOPROTOOPT", level, name);
}

}  // namespace

// Pushes changed association parameters to the live associations: a
// one-to-one socket's, or on a one-to-many socket those in `ids`, each with
// its own values.
static void apply_live(Socket& s, const std::vector<int32_t>& ids) {
  if (s.fork_generation != fork_generation()) return;
  auto self = s.shared_from_this();
  std::vector<std::pair<int32_t, assoc::Config>> cfgs;
  {
    std::lock_guard lock(s.mu);
    if (!s.one_to_many()) cfgs.emplace_back(s.assoc_id, s.opts.assoc);
    for (int32_t id : ids) {
      auto it = s.assocs.find(id);
      if (it != s.assocs.end()) cfgs.emplace_back(id, it->second.opts.assoc);
    }
  }
  if (cfgs.empty()) return;
  engine::Reactor::instance().post([self, cfgs] {
    std::lock_guard lock(self->tx_mu);
    for (const auto& [id, cfg] : cfgs)
      if (Conn* c = self->conn_for(id)) c->update_config(cfg);
  });
}

// SCTP_PRIMARY_ADDR: an association over TCP has one peer address, already
// the primary; naming it is accepted, any other address is EINVAL (Linux:
// no such transport).
static int set_primary(Socket& s, const void* val, socklen_t len) {
  sctp_prim prim;
  if (int rc = read_opt(val, len, &prim)) return rc;
  sockaddr_storage want{};
  std::memcpy(&want, &prim.ssp_addr, sizeof want);
  if (want.ss_family != AF_INET && want.ss_family != AF_INET6) return -EINVAL;
  want = to_domain(s.domain, reinterpret_cast<const sockaddr*>(&want));
  std::lock_guard lock(s.mu);
  if (s.one_to_many()) {
    auto it = s.assocs.find(prim.ssp_assoc_id);
    if (it == s.assocs.end() || it->second.phase == Phase::kClosed) return -EINVAL;
    return s.find_assoc(want) == prim.ssp_assoc_id ? 0 : -EINVAL;
  }
  if (s.phase != Phase::kEstablished && s.phase != Phase::kShutdown) return -EINVAL;
  return same_addr(want, s.peer) ? 0 : -EINVAL;
}

int set_events_option(Socket& s, int name, const void* val, socklen_t len) {
  constexpr EventMask kDry = event_bit(SCTP_SENDER_DRY_EVENT);
  if (name == SCTP_EVENTS) {
    if (!val || len <= 0 || len > static_cast<socklen_t>(sizeof(sctp_event_subscribe))) return -EINVAL;
    const auto* b = static_cast<const uint8_t*>(val);
    EventMask mask = 0;
    for (socklen_t i = 0; i < len; ++i)
      if (b[i]) mask |= 1u << i;
    // Fields beyond `len` keep their values (older, shorter structs).
    const EventMask given = (len >= 32 ? 0u : (1u << len)) - 1u;
    const EventMask was = s.events_.exchange(mask | (s.events_.load() & ~given));
    {
      // Linux (sctp_setsockopt_events): every association takes them too.
      std::lock_guard lock(s.mu);
      for (auto& [id, a] : s.assocs) a.doorbell->events.store(mask | (a.doorbell->events.load() & ~given));
    }
    // Linux (sctp_setsockopt_events) checks SENDER_DRY only for association
    // 0: a one-to-one socket's.
    if (!(was & kDry) && (mask & kDry) && !s.one_to_many()) s.check_dry(0);
    return 0;
  }
  sctp_event e;
  if (int rc = read_opt(val, len, &e)) return rc;
  if (e.se_type < SCTP_SN_TYPE_BASE || e.se_type > SCTP_SEND_FAILED_EVENT) return -EINVAL;
  const EventMask bit = event_bit(e.se_type);
  EventMask was = bit;  // whether every target already had it
  auto set = [&](std::atomic<EventMask>& m) {
    was &= e.se_on ? m.fetch_or(bit) : m.fetch_and(~bit);
  };
  {
    std::lock_guard lock(s.mu);
    std::vector<Options*> targets;
    std::vector<int32_t> ids;
    if (int rc = s.option_targets(SCTP_EVENT, e.se_assoc_id, true, &targets, &ids)) return rc;
    for (Options* o : targets)
      if (o == &s.opts) set(s.events_);  // the socket's: what later associations start with
    for (int32_t id : ids) set(s.assocs[id].doorbell->events);
  }
  // Linux (sctp_setsockopt_event): SENDER_DRY at once for the association
  // se_assoc_id names, if it is dry.
  if (bit == kDry && e.se_on && !(was & kDry)) s.check_dry(s.one_to_many() ? e.se_assoc_id : 0);
  return 0;
}

// Sets option `name` in `o`: the socket's values, or one association's.
// Caller holds s.mu.
static int set_sctp(Socket& s, Options& o, int name, const void* val, socklen_t len, bool* live) {
  switch (name) {
    case SCTP_INITMSG: {
      sctp_initmsg m;
      if (int rc = read_opt(val, len, &m)) return rc;
      if (m.sinit_num_ostreams) o.assoc.outbound_streams = m.sinit_num_ostreams;
      if (m.sinit_max_instreams) o.assoc.max_inbound_streams = m.sinit_max_instreams;
      return 0;
    }
    case SCTP_NODELAY: {
      int v;
      if (int rc = read_opt(val, len, &v)) return rc;
      o.nodelay = v != 0;
      s.nodelay.store(o.nodelay, std::memory_order_relaxed);
      return 0;
    }
    case SCTP_PEER_ADDR_PARAMS: {
      sctp_paddrparams p;
      if (int rc = read_opt(val, len, &p)) return rc;
      if ((p.spp_flags & SPP_HB_ENABLE) && (p.spp_flags & SPP_HB_DISABLE)) return -EINVAL;
      if (p.spp_flags & SPP_HB_ENABLE) o.assoc.hb_enabled = true;
      if (p.spp_flags & SPP_HB_DISABLE) o.assoc.hb_enabled = false;
      if (p.spp_hbinterval || (p.spp_flags & SPP_HB_TIME_IS_ZERO)) o.assoc.hb_interval = from_ms(p.spp_hbinterval);
      if (p.spp_pathmaxrxt) o.assoc.path_max_retrans = p.spp_pathmaxrxt;
      *live = true;
      return 0;
    }
    case SCTP_RTOINFO: {
      sctp_rtoinfo r;
      if (int rc = read_opt(val, len, &r)) return rc;
      Duration mn = r.srto_min ? from_ms(r.srto_min) : o.assoc.rto_min;
      Duration mx = r.srto_max ? from_ms(r.srto_max) : o.assoc.rto_max;
      Duration in = r.srto_initial ? from_ms(r.srto_initial) : o.assoc.rto_initial;
      if (mn > mx || in < mn || in > mx) return -EINVAL;
      o.assoc.rto_min = mn;
      o.assoc.rto_max = mx;
      o.assoc.rto_initial = in;
      *live = true;
      return 0;
    }
    case SCTP_ASSOCINFO: {
      sctp_assocparams a;
      if (int rc = read_opt(val, len, &a)) return rc;
      if (a.sasoc_asocmaxrxt) o.assoc.assoc_max_retrans = a.sasoc_asocmaxrxt;
      *live = true;
      return 0;
    }
    case SCTP_DEFAULT_SEND_PARAM: {
      sctp_sndrcvinfo d;
      if (int rc = read_opt(val, len, &d)) return rc;
      o.default_send = d;
      return 0;
    }
    case SCTP_DEFAULT_SNDINFO: {
      sctp_sndinfo d;
      if (int rc = read_opt(val, len, &d)) return rc;
      o.default_send.sinfo_stream = d.snd_sid;
      o.default_send.sinfo_flags = d.snd_flags;
      o.default_send.sinfo_ppid = d.snd_ppid;
      o.default_send.sinfo_context = d.snd_context;
      return 0;
    }
    case SCTP_RECVRCVINFO: {
      int v;
      if (int rc = read_opt(val, len, &v)) return rc;
      o.recv_rcvinfo = v != 0;
      return 0;
    }
    case SCTP_MAXSEG: {
      uint32_t v = 0;
      if (len >= static_cast<socklen_t>(sizeof(sctp_assoc_value))) {
        sctp_assoc_value av;
        std::memcpy(&av, val, sizeof av);
        v = av.assoc_value;
      } else if (int rc = read_opt(val, len, &v)) {
        return rc;
      }
      // Linux (sctp_setsockopt_maxseg): 0 or a fragment from what a 512-byte
      // packet carries (sctp_min_frag_point) to a whole chunk.
      const uint32_t ip_header = s.domain == AF_INET6 ? 40 : 20;
      const uint32_t min_frag = 512 - ip_header - 12 - 16;  // SCTP common and DATA headers
      if (v != 0 && (v < min_frag || v > wire::kMaxDraftMessage)) return -EINVAL;
      o.assoc.maxseg = v;
      *live = true;
      return 0;
    }
    case SCTP_AUTOCLOSE: {
      if (!s.one_to_many()) return -EOPNOTSUPP;  // Linux: a one-to-many option
      uint32_t v;
      if (int rc = read_opt(val, len, &v)) return rc;
      o.autoclose = v;
      return 0;
    }
    case SCTP_PARTIAL_DELIVERY_POINT:
    case SCTP_FRAGMENT_INTERLEAVE: {
      int rc = set_tunable(o, name, val, len);
      s.pd_point.store(o.pd_point, std::memory_order_relaxed);  // the engine's copies
      s.fragment_interleave.store(o.fragment_interleave, std::memory_order_relaxed);
      return rc;
    }
    default: {
      int rc = set_tunable(o, name, val, len);
      if (rc == -ENOPROTOOPT) log_unknown_once(IPPROTO_SCTP, name);
      return rc;
    }
  }
}

int Socket::setsockopt(int fd, int level, int name, const void* val, socklen_t len) {
  if (level == IPPROTO_SCTP) {
    if (name == SCTP_EVENTS || name == SCTP_EVENT) return set_events_option(*this, name, val, len);
    if (name == SCTP_PRIMARY_ADDR) return set_primary(*this, val, len);
    if (name == SCTP_SOCKOPT_BINDX_ADD || name == SCTP_SOCKOPT_BINDX_REM) {
      if (!val || len <= 0) return -EINVAL;
      const auto* p = static_cast<const uint8_t*>(val);
      return name == SCTP_SOCKOPT_BINDX_ADD ? bindx_add(p, static_cast<size_t>(len)) : bindx_rem(p, static_cast<size_t>(len));
    }
    if (name == SCTP_SOCKOPT_CONNECTX || name == SCTP_SOCKOPT_CONNECTX_OLD) {
      if (!val || len <= 0) return -EINVAL;
      int32_t id = 0;
      int rc = connectx(fd, val, static_cast<size_t>(len), &id);
      if (rc < 0) return rc;
      return name == SCTP_SOCKOPT_CONNECTX ? id : 0;
    }
    bool live = false;
    std::vector<int32_t> ids;
    int rc = 0;
    {
      std::lock_guard lock(mu);
      std::vector<Options*> targets{&opts};
      if (per_assoc_option(name)) {
        targets.clear();
        rc = option_targets(name, option_assoc_id(name, val, len), true, &targets, &ids);
      }
      for (Options* o : targets) {
        const int r = set_sctp(*this, *o, name, val, len, &live);
        if (r && !rc) rc = r;  // Linux: the first error, the rest still set
      }
    }
    if (rc == 0 && live) apply_live(*this, ids);
    return rc;
  }
  if (level == SOL_SOCKET) {
    int v;
    switch (name) {
      case SO_SNDBUF:
      case SO_RCVBUF: {
        if (int rc = read_opt(val, len, &v)) return rc;
        std::vector<int32_t> ids;
        // Linux doubles the value for bookkeeping overhead and reports the double.
        int eff = std::max(v, 2304) * 2;
        {
          std::lock_guard lock(mu);
          if (name == SO_SNDBUF) {
            opts.sndbuf = eff;
            opts.assoc.sndbuf = static_cast<size_t>(eff);
            for (auto& [id, a] : assocs) {  // a socket-wide bound, as Linux's
              a.opts.assoc.sndbuf = opts.assoc.sndbuf;
              ids.push_back(id);
            }
          } else {
            opts.rcvbuf = eff;
          }
        }
        if (name == SO_SNDBUF) apply_live(*this, ids);  // takes mu itself
        return 0;
      }
      case SO_LINGER: {
        linger l;
        if (int rc = read_opt(val, len, &l)) return rc;
        std::lock_guard lock(mu);
        opts.linger_on = l.l_onoff != 0;
        opts.linger_secs = l.l_linger;
        return 0;
      }
      case SO_REUSEADDR:
      case SO_REUSEPORT: {
        if (int rc = read_opt(val, len, &v)) return rc;
        std::lock_guard lock(mu);
        if (name == SO_REUSEADDR) opts.reuseaddr = v != 0;
        if (tcp_fd >= 0) sys::setsockopt(tcp_fd, level, name, val, len);
        return 0;
      }
      case SO_TYPE:
      case SO_PROTOCOL:
      case SO_DOMAIN:
      case SO_ERROR:
        return -ENOPROTOOPT;
      default:
        return 1;  // the caller applies it to the application's fd (SO_RCVTIMEO etc.)
    }
  }
  if (level == IPPROTO_IP || level == IPPROTO_IPV6) {
    std::lock_guard lock(mu);
    if (tcp_fd >= 0 && sys::setsockopt(tcp_fd, level, name, val, len) < 0) return -errno;
    return 0;
  }
  return -ENOPROTOOPT;
}

}  // namespace sctpmap::socket
