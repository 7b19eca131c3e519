// SPDX-License-Identifier: MIT
// getsockopt (RFC 6458 section 8, Linux layouts).
#include "socket/sctp_uapi.hpp"
#include <netinet/in.h>

#include <ifaddrs.h>

#include <cerrno>
#include <cstring>
#include <vector>

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

struct Snapshot {
  bool live = false;
  uint32_t cwnd = 0, srtt_ms = 0, mtu = 65536;  // the TCP path's
  Duration rto{};
  uint32_t unacked = 0;
  size_t unacked_bytes = 0;
  uint16_t errors = 0;
  assoc::State state = assoc::State::kClosed;
  bool gone = false;  // a fork()ed child saw the parent's engine let go of the pair
};

// A socket a fork()ed child inherited: its engine is the parent's, so what
// the child knows is the association's phase and path figures from the
// parent's last look, and whether the parent's engine still holds the pair
// (it closes its end when the association ends: a hang-up here). Linux
// would show the live figures; lksctp-tools' sctp_status reads SCTP_STATUS
// in exactly such a child.
Snapshot inherited_snapshot(Socket& s, int fd, int32_t id) {
  Snapshot out;
  // Hang-up, not end of file: what the parent left unread stays readable.
  pollfd p{fd, POLLRDHUP, 0};
  if (sys::poll(&p, 1, 0) != 0 && (p.revents & (POLLHUP | POLLRDHUP | POLLERR | POLLNVAL))) {
    out.gone = true;
    return out;
  }
  std::lock_guard lock(s.mu);
  Phase phase = s.phase;
  PathFigures path = s.path;
  if (s.one_to_many()) {
    auto it = s.assocs.find(id);
    if (it == s.assocs.end()) return out;
    phase = it->second.phase;
    path = it->second.path;
  }
  // The peer's SHUTDOWN leaves the path up until the association is gone.
  if (phase != Phase::kEstablished && phase != Phase::kShutdown) return out;
  out.live = true;
  out.cwnd = path.cwnd;
  out.srtt_ms = path.srtt_ms;
  if (path.mtu) out.mtu = path.mtu;
  out.rto = s.opts.assoc.rto_initial;
  out.state = assoc::State::kEstablished;
  return out;
}

// `id`: the association, on a one-to-many socket.
Snapshot snapshot(Socket& s, int fd, int32_t id) {
  Snapshot out;
  if (s.fork_generation != fork_generation()) return inherited_snapshot(s, fd, id);
  engine::Reactor::instance().call([&] {
    std::lock_guard lock(s.tx_mu);
    Conn* c = s.conn_for(id);
    if (!c) return;
    const auto& a = c->association();
    out.live = true;
    c->tcp_path(&out.cwnd, &out.srtt_ms, &out.mtu);
    out.rto = a.rto();
    out.unacked = a.unacked_count();
    out.unacked_bytes = a.unacked_bytes();
    out.errors = a.error_count();
    out.state = a.state();
  });
  if (out.live) {  // for a child this process may fork later
    std::lock_guard lock(s.mu);
    PathFigures* keep = &s.path;
    if (s.one_to_many()) {
      auto it = s.assocs.find(id);
      keep = it == s.assocs.end() ? nullptr : &it->second.path;
    }
    if (keep) *keep = {out.cwnd, out.srtt_ms, out.mtu};
  }
  return out;
}

// One path's figures: over TCP, the connection's congestion window, RTT and
// MTU as the kernel reports them, and our heartbeat RTO.
void fill_paddrinfo(sctp_paddrinfo* pi, const Socket& s, int32_t id, const sockaddr_storage& peer, const Snapshot& snap) {
  std::memcpy(&pi->spinfo_address, &peer, sizeof peer);
  pi->spinfo_assoc_id = id;
  pi->spinfo_state = snap.live ? SCTP_ACTIVE : SCTP_INACTIVE;
  pi->spinfo_cwnd = snap.cwnd;
  pi->spinfo_srtt = snap.srtt_ms;
  pi->spinfo_rto = snap.live ? to_ms(snap.rto) : to_ms(s.opts.assoc.rto_initial);
  pi->spinfo_mtu = snap.mtu;
}

int linux_state(Phase p, const Snapshot& snap) {
  if (snap.gone) return SCTP_CLOSED;
  switch (p) {
    case Phase::kFresh:
    case Phase::kListening:
    case Phase::kClosed: return SCTP_CLOSED;
    case Phase::kConnecting: return SCTP_COOKIE_WAIT;
    case Phase::kShutdown: return SCTP_SHUTDOWN_RECEIVED;
    case Phase::kEstablished: break;
  }
  switch (snap.state) {
    case assoc::State::kShutdownPending: return SCTP_SHUTDOWN_PENDING;
    case assoc::State::kShutdownSent: return SCTP_SHUTDOWN_SENT;
    default: return SCTP_ESTABLISHED;
  }
}

int get_status(Socket& s, int fd, void* val, socklen_t* len) {
  sctp_status st{};
  if (!val || !len || *len < static_cast<socklen_t>(sizeof st)) return -EINVAL;
  std::memcpy(&st, val, sizeof st);
  const int32_t id = s.one_to_many() ? st.sstat_assoc_id : s.assoc_id;
  Snapshot snap = snapshot(s, fd, id);
  st = sctp_status{};
  std::lock_guard lock(s.mu);
  Phase phase = s.phase;
  uint16_t is = s.inbound_streams, os = s.outbound_streams;
  sockaddr_storage peer = s.peer;
  if (s.one_to_many()) {  // Linux: EINVAL for an id that names no association
    auto it = s.assocs.find(id);
    if (it == s.assocs.end() || it->second.phase == Phase::kClosed) return -EINVAL;
    phase = it->second.phase;
    is = it->second.inbound_streams;
    os = it->second.outbound_streams;
    peer = it->second.peer;
  }
  st.sstat_assoc_id = id;
  st.sstat_state = linux_state(phase, snap);
  st.sstat_rwnd = static_cast<uint32_t>(s.opts.rcvbuf);
  st.sstat_unackdata = static_cast<uint16_t>(std::min<uint32_t>(snap.unacked, 0xffff));
  st.sstat_instrms = is;
  st.sstat_outstrms = os;
  st.sstat_fragmentation_point = wire::kMaxDraftMessage;
  fill_paddrinfo(&st.sstat_primary, s, id, peer, snap);
  return write_opt(val, len, st);
}

// SCTP_GET_PEER_ADDR_INFO: the association's one path. An address that is
// not the peer's is EINVAL, as Linux says for an unknown transport.
int get_paddrinfo(Socket& s, int fd, void* val, socklen_t* len) {
  sctp_paddrinfo pi;
  if (!len) return -EINVAL;
  if (int rc = read_opt(val, *len, &pi)) return rc;
  sockaddr_storage want{};
  std::memcpy(&want, &pi.spinfo_address, sizeof want);
  const int32_t id = s.one_to_many() ? pi.spinfo_assoc_id : s.assoc_id;
  sockaddr_storage peer{};
  {
    std::lock_guard lock(s.mu);
    if (s.one_to_many()) {
      auto it = s.assocs.find(id);
      if (it == s.assocs.end() || it->second.phase == Phase::kClosed) return -EINVAL;
      peer = it->second.peer;
    } else {
      if (s.phase != Phase::kEstablished && s.phase != Phase::kShutdown) return -EINVAL;
      peer = s.peer;
    }
  }
  if (want.ss_family == AF_INET && peer.ss_family == AF_INET6) want = to_domain(AF_INET6, reinterpret_cast<sockaddr*>(&want));
  if (!same_addr(want, peer)) return -EINVAL;
  Snapshot snap = snapshot(s, fd, id);
  fill_paddrinfo(&pi, s, id, peer, snap);
  return write_opt(val, len, pi);
}

// SCTP_GET_ASSOC_NUMBER / SCTP_GET_ASSOC_ID_LIST: the live associations of
// a one-to-many socket (Linux: EOPNOTSUPP on one-to-one sockets).
int get_assoc_ids(Socket& s, int name, void* val, socklen_t* len) {
  if (!s.one_to_many()) return -EOPNOTSUPP;
  std::vector<sctp_assoc_t> ids;
  {
    std::lock_guard lock(s.mu);
    for (const auto& [id, a] : s.assocs)
      if (a.phase != Phase::kClosed) ids.push_back(id);
  }
  if (name == SCTP_GET_ASSOC_NUMBER) return write_opt(val, len, static_cast<uint32_t>(ids.size()));
  const size_t need = sizeof(sctp_assoc_ids) + ids.size() * sizeof(sctp_assoc_t);
  if (!val || !len || *len < static_cast<socklen_t>(need)) return -EINVAL;
  auto* out = static_cast<sctp_assoc_ids*>(val);
  out->gaids_number_of_ids = static_cast<uint32_t>(ids.size());
  if (!ids.empty()) std::memcpy(out->gaids_assoc_id, ids.data(), ids.size() * sizeof(sctp_assoc_t));
  *len = static_cast<socklen_t>(need);
  return 0;
}

// libsctp's sctp_connectx tries this first: struct sctp_getaddrs_old carries
// the packed addresses in, the association id out.
int get_connectx3(Socket& s, int fd, void* val, socklen_t* len) {
  sctp_getaddrs_old p;
  if (int rc = read_opt(val, *len, &p)) return rc;
  if (!p.addrs || p.addr_num <= 0) return -EINVAL;
  int32_t id = 0;
  int rc = s.connectx(fd, p.addrs, static_cast<size_t>(p.addr_num), &id);
  if (rc == 0 || rc == -EINPROGRESS) {
    p.assoc_id = id;
    std::memcpy(val, &p, sizeof p);
  }
  return rc;
}

bool is_wildcard(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET) return reinterpret_cast<const sockaddr_in*>(&a)->sin_addr.s_addr == htonl(INADDR_ANY);
  if (a.ss_family == AF_INET6) return IN6_IS_ADDR_UNSPECIFIED(&reinterpret_cast<const sockaddr_in6*>(&a)->sin6_addr);
  return false;
}

// What a wildcard-bound endpoint's local addresses are, as Linux lists them
// (sctp_copy_laddrs): every address of the host the socket's family can
// carry, with the bound port; IPv4 ones v4-mapped on an AF_INET6 socket.
std::vector<sockaddr_storage> host_addrs(int domain, bool v4mapped, const sockaddr_storage& bound) {
  std::vector<sockaddr_storage> out;
  const uint16_t port = bound.ss_family == AF_INET6 ? reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port
                                                    : reinterpret_cast<const sockaddr_in*>(&bound)->sin_port;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) < 0) return {bound};
  for (ifaddrs* i = list; i; i = i->ifa_next) {
    if (!i->ifa_addr) continue;
    sockaddr_storage a{};
    if (i->ifa_addr->sa_family == AF_INET && (domain == AF_INET || v4mapped)) {
      sockaddr_in in;
      std::memcpy(&in, i->ifa_addr, sizeof in);
      in.sin_port = port;
      a = to_domain(domain, reinterpret_cast<sockaddr*>(&in));
    } else if (i->ifa_addr->sa_family == AF_INET6 && domain == AF_INET6) {
      std::memcpy(&a, i->ifa_addr, sizeof(sockaddr_in6));
      reinterpret_cast<sockaddr_in6*>(&a)->sin6_port = port;
    } else {
      continue;
    }
    out.push_back(a);
  }
  freeifaddrs(list);
  return out;
}

// SCTP_GET_PEER_ADDRS / SCTP_GET_LOCAL_ADDRS (what libsctp's sctp_getpaddrs
// and sctp_getladdrs use): struct sctp_getaddrs, the addresses packed after
// it. Over TCP an association has one address at each end. Local addresses
// for id 0 of a one-to-many socket are the socket's bound ones.
int get_addrs(Socket& s, int name, void* val, socklen_t* len) {
  sctp_getaddrs ga;
  if (!len || int(*len) < int(sizeof ga)) return -EINVAL;
  if (int rc = read_opt(val, *len, &ga)) return rc;
  std::vector<sockaddr_storage> addrs;
  {
    std::lock_guard lock(s.mu);
    if (!s.one_to_many()) {
      const bool up = s.phase == Phase::kEstablished || s.phase == Phase::kShutdown;
      if (name == SCTP_GET_PEER_ADDRS && !up) return -EINVAL;
      if (name == SCTP_GET_LOCAL_ADDRS && !up && is_wildcard(s.local)) {
        addrs = host_addrs(s.domain, s.opts.v4mapped, s.local);  // the endpoint's, as for one-to-many
      } else {
        addrs.push_back(name == SCTP_GET_PEER_ADDRS ? s.peer : s.local);
        if (name == SCTP_GET_LOCAL_ADDRS && !up) addrs.insert(addrs.end(), s.extra_local.begin(), s.extra_local.end());
      }
    } else if (ga.assoc_id == 0 && name == SCTP_GET_LOCAL_ADDRS) {
      if (is_wildcard(s.local)) {
        addrs = host_addrs(s.domain, s.opts.v4mapped, s.local);
      } else {
        addrs.push_back(s.local);
        addrs.insert(addrs.end(), s.extra_local.begin(), s.extra_local.end());
      }
    } else {
      auto it = s.assocs.find(ga.assoc_id);
      if (it == s.assocs.end() || it->second.phase == Phase::kClosed) return -EINVAL;
      addrs.push_back(name == SCTP_GET_PEER_ADDRS ? it->second.peer : it->second.local);
      if (addrs.back().ss_family == 0) addrs.back() = s.local;
    }
  }
  ga.addr_num = 0;
  size_t used = sizeof ga;
  for (const sockaddr_storage& a : addrs) {
    if (a.ss_family != AF_INET && a.ss_family != AF_INET6) continue;
    const size_t alen = a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
    if (used + alen > *len) return -ENOMEM;  // libsctp retries with a larger buffer
    std::memcpy(static_cast<uint8_t*>(val) + used, &a, alen);
    used += alen;
    ++ga.addr_num;
  }
  std::memcpy(val, &ga, sizeof ga);
  *len = static_cast<socklen_t>(used);
  return 0;
}

int get_sctp(Socket& s, int fd, int name, void* val, socklen_t* len) {
  if (name == SCTP_GET_PEER_ADDRS || name == SCTP_GET_LOCAL_ADDRS) return get_addrs(s, name, val, len);
  if (name == SCTP_GET_PEER_ADDR_INFO) return get_paddrinfo(s, fd, val, len);
  if (name == SCTP_PRIMARY_ADDR) {  // the one peer address is the primary
    sctp_prim prim;
    if (!len) return -EINVAL;
    if (int rc = read_opt(val, *len, &prim)) return rc;
    sockaddr_storage peer{};
    {
      std::lock_guard lock(s.mu);
      if (s.one_to_many()) {
        auto it = s.assocs.find(prim.ssp_assoc_id);
        if (it == s.assocs.end() || it->second.phase == Phase::kClosed) return -EINVAL;
        peer = it->second.peer;
      } else {
        if (s.phase != Phase::kEstablished && s.phase != Phase::kShutdown) return -EINVAL;
        peer = s.peer;
      }
    }
    std::memcpy(&prim.ssp_addr, &peer, sizeof peer);
    return write_opt(val, len, prim);
  }
  if (name == SCTP_STATUS) return get_status(s, fd, val, len);
  if (name == SCTP_SOCKOPT_CONNECTX3) return len ? get_connectx3(s, fd, val, len) : -EINVAL;
  if (name == SCTP_GET_ASSOC_NUMBER || name == SCTP_GET_ASSOC_ID_LIST) return get_assoc_ids(s, name, val, len);
  std::lock_guard lock(s.mu);
  // An association's own values for its id; the socket's for SCTP_FUTURE_ASSOC.
  const Options* values = &s.opts;
  int32_t asked = s.assoc_id;
  if (s.one_to_many() && per_assoc_option(name)) {
    std::vector<Options*> targets;
    std::vector<int32_t> ids;
    asked = len ? option_assoc_id(name, val, *len) : SCTP_FUTURE_ASSOC;
    if (int rc = s.option_targets(name, asked, false, &targets, &ids)) return rc;
    values = targets.front();
  }
  const auto& o = *values;
  switch (name) {
    case SCTP_INITMSG: {
      sctp_initmsg m{};
      m.sinit_num_ostreams = o.assoc.outbound_streams;
      m.sinit_max_instreams = o.assoc.max_inbound_streams;
      m.sinit_max_attempts = 8;  // Linux defaults
      m.sinit_max_init_timeo = 60000;
      return write_opt(val, len, m);
    }
    case SCTP_NODELAY: return write_int(val, len, o.nodelay);
    case SCTP_RECVRCVINFO: return write_int(val, len, o.recv_rcvinfo);
    case SCTP_AUTOCLOSE:  // Linux: a one-to-many option
      if (!s.one_to_many()) return -EOPNOTSUPP;
      return write_int(val, len, static_cast<int>(o.autoclose));
    case SCTP_PEER_ADDR_PARAMS: {
      sctp_paddrparams p{};
      if (val && *len >= static_cast<socklen_t>(sizeof p)) std::memcpy(&p, val, sizeof p);
      p.spp_hbinterval = to_ms(o.assoc.hb_interval);
      p.spp_pathmaxrxt = o.assoc.path_max_retrans;
      p.spp_pathmtu = 65536;
      p.spp_sackdelay = 200;
      p.spp_flags = (o.assoc.hb_enabled ? SPP_HB_ENABLE : SPP_HB_DISABLE) | SPP_PMTUD_ENABLE | SPP_SACKDELAY_ENABLE;
      return write_opt(val, len, p);
    }
    case SCTP_RTOINFO: {
      sctp_rtoinfo r{};
      if (val && *len >= static_cast<socklen_t>(sizeof r)) std::memcpy(&r, val, sizeof r);
      r.srto_initial = to_ms(o.assoc.rto_initial);
      r.srto_min = to_ms(o.assoc.rto_min);
      r.srto_max = to_ms(o.assoc.rto_max);
      return write_opt(val, len, r);
    }
    case SCTP_ASSOCINFO: {
      sctp_assocparams a{};
      if (val && *len >= static_cast<socklen_t>(sizeof a)) std::memcpy(&a, val, sizeof a);
      a.sasoc_asocmaxrxt = o.assoc.assoc_max_retrans;
      a.sasoc_number_peer_destinations = (s.phase == Phase::kEstablished) ? 1 : 0;
      a.sasoc_peer_rwnd = static_cast<uint32_t>(o.rcvbuf);
      a.sasoc_local_rwnd = static_cast<uint32_t>(o.rcvbuf);
      a.sasoc_cookie_life = 60000;
      return write_opt(val, len, a);
    }
    case SCTP_DEFAULT_SEND_PARAM: {
      sctp_sndrcvinfo d = o.default_send;
      d.sinfo_assoc_id = asked;
      return write_opt(val, len, d);
    }
    case SCTP_DEFAULT_SNDINFO: {
      sctp_sndinfo d{};
      d.snd_sid = o.default_send.sinfo_stream;
      d.snd_flags = o.default_send.sinfo_flags;
      d.snd_ppid = o.default_send.sinfo_ppid;
      d.snd_context = o.default_send.sinfo_context;
      d.snd_assoc_id = asked;
      return write_opt(val, len, d);
    }
    case SCTP_MAXSEG: {
      const auto v = static_cast<uint32_t>(o.assoc.maxseg ? o.assoc.maxseg : wire::kMaxDraftMessage);
      if (len && *len >= static_cast<socklen_t>(sizeof(sctp_assoc_value))) {
        sctp_assoc_value av{};
        std::memcpy(&av, val, sizeof av);
        av.assoc_value = v;
        return write_opt(val, len, av);
      }
      return write_int(val, len, static_cast<int>(v));
    }
    default:
      return get_tunable(o, name, val, len);
  }
}

}  // namespace

// SCTP_EVENT: the socket's subscription, or (one-to-many) an association's.
int get_events_option(Socket& s, int, void* val, socklen_t* len) {
  sctp_event e;
  if (!val || !len || *len < static_cast<socklen_t>(sizeof e)) return -EINVAL;
  std::memcpy(&e, val, sizeof e);
  if (e.se_type < SCTP_SN_TYPE_BASE || e.se_type > SCTP_SEND_FAILED_EVENT) return -EINVAL;
  EventMask m = s.events();
  if (s.one_to_many()) {
    std::lock_guard lock(s.mu);
    std::vector<Options*> targets;
    std::vector<int32_t> ids;
    if (int rc = s.option_targets(SCTP_EVENT, e.se_assoc_id, false, &targets, &ids)) return rc;
    if (!ids.empty()) m = s.assocs[ids.front()].doorbell->events.load();
  }
  e.se_on = (m & event_bit(e.se_type)) ? 1 : 0;
  return write_opt(val, len, e);
}

int Socket::getsockopt(int fd, int level, int name, void* val, socklen_t* len) {
  if (level == IPPROTO_SCTP) {
    if (name == SCTP_EVENTS) {
      sctp_event_subscribe sub{};
      auto* b = reinterpret_cast<uint8_t*>(&sub);
      EventMask m = events();
      for (size_t i = 0; i < sizeof sub; ++i) b[i] = (m >> i) & 1u;
      if (!val || !len || *len == 0) return -EINVAL;  // Linux: sctp_getsockopt_events
      socklen_t n = std::min<socklen_t>(*len, sizeof sub);
      std::memcpy(val, &sub, n);
      *len = n;
      return 0;
    }
    if (name == SCTP_EVENT) return get_events_option(*this, name, val, len);
    return get_sctp(*this, fd, name, val, len);
  }
  if (level == SOL_SOCKET) {
    std::lock_guard lock(mu);
    switch (name) {
      case SO_TYPE: return write_int(val, len, type);
      case SO_PROTOCOL: return write_int(val, len, IPPROTO_SCTP);
      case SO_DOMAIN: return write_int(val, len, domain);
      case SO_SNDBUF: return write_int(val, len, opts.sndbuf);
      case SO_RCVBUF: return write_int(val, len, opts.rcvbuf);
      case SO_REUSEADDR: return write_int(val, len, opts.reuseaddr);
      case SO_ACCEPTCONN: return write_int(val, len, phase == Phase::kListening);
      case SO_ERROR: {
        int e = pending_error;
        // A connect still in progress reports nothing yet.
        pending_error = 0;
        return write_int(val, len, e);
      }
      case SO_LINGER: {
        linger l{opts.linger_on ? 1 : 0, opts.linger_secs};
        return write_opt(val, len, l);
      }
      default:
        return 1;  // the caller reads it from the application's fd
    }
  }
  return -ENOPROTOOPT;
}

}  // namespace sctpmap::socket
