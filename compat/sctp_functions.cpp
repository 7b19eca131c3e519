// SPDX-License-Identifier: MIT
// The libsctp functions (RFC 6458 section 9), marshalled onto the socket
// calls exactly as libsctp.so.1 does, so they work on emulated sockets (the
// socket calls below resolve to the preload's) and keep libsctp's ABI and
// symbol versions (compat/libsctp.map). errno is set, -1 returned, as libsctp.
#include <netinet/sctp.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#define SCTPMAP_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

constexpr size_t kSndrcvSpace = CMSG_SPACE(sizeof(sctp_sndrcvinfo));

void put_sndrcv(msghdr* m, char* buf, const sctp_sndrcvinfo& info) {
  m->msg_control = buf;
  m->msg_controllen = kSndrcvSpace;
  cmsghdr* c = CMSG_FIRSTHDR(m);
  c->cmsg_level = IPPROTO_SCTP;
  c->cmsg_type = SCTP_SNDRCV;
  c->cmsg_len = CMSG_LEN(sizeof info);
  std::memcpy(CMSG_DATA(c), &info, sizeof info);
}

socklen_t addr_size(const sockaddr* a) {
  if (a->sa_family == AF_INET) return sizeof(sockaddr_in);
  if (a->sa_family == AF_INET6) return sizeof(sockaddr_in6);
  return 0;
}

// One address from a packed array (RFC 6458 addresses are back to back).
const sockaddr* nth_addr(const sockaddr* addrs, int n) {
  auto* p = reinterpret_cast<const char*>(addrs);
  for (int i = 0; i < n; ++i) p += addr_size(reinterpret_cast<const sockaddr*>(p));
  return reinterpret_cast<const sockaddr*>(p);
}

// As libsctp: the option's struct sctp_getaddrs, then the packed addresses
// moved to the front of the same allocation, which sctp_free[pl]addrs frees.
int get_addrs(int sd, sctp_assoc_t id, int opt, sockaddr** addrs) {
  if (!addrs) {
    errno = EINVAL;
    return -1;
  }
  sctp_getaddrs* ga = nullptr;
  socklen_t len = 0;
  for (socklen_t size = 512;; size *= 2) {  // ENOMEM: more addresses than room (wildcard binds)
    std::free(ga);
    ga = static_cast<sctp_getaddrs*>(std::malloc(size));
    if (!ga) {
      errno = ENOMEM;
      return -1;
    }
    ga->assoc_id = id;
    len = size;
    if (getsockopt(sd, IPPROTO_SCTP, opt, ga, &len) == 0) break;
    if (errno != ENOMEM || size >= (1 << 20)) {
      int err = errno;
      std::free(ga);
      errno = err;
      return -1;
    }
  }
  const int n = static_cast<int>(ga->addr_num);
  std::memmove(ga, ga + 1, len - sizeof *ga);
  *addrs = reinterpret_cast<sockaddr*>(ga);
  return n;
}

}  // namespace

SCTPMAP_EXPORT int sctp_sendmsg(int s, const void* msg, size_t len, sockaddr* to, socklen_t tolen, uint32_t ppid,
                                uint32_t flags, uint16_t stream_no, uint32_t timetolive, uint32_t context) {
  sctp_sndrcvinfo info{};
  info.sinfo_ppid = ppid;
  info.sinfo_flags = static_cast<uint16_t>(flags);
  info.sinfo_stream = stream_no;
  info.sinfo_timetolive = timetolive;
  info.sinfo_context = context;
  iovec iov{const_cast<void*>(msg), len};
  msghdr m{};
  m.msg_name = to;
  m.msg_namelen = tolen;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  alignas(cmsghdr) char buf[kSndrcvSpace];
  put_sndrcv(&m, buf, info);
  return static_cast<int>(sendmsg(s, &m, 0));
}

SCTPMAP_EXPORT int sctp_send(int s, const void* msg, size_t len, const sctp_sndrcvinfo* sinfo, int flags) {
  iovec iov{const_cast<void*>(msg), len};
  msghdr m{};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  alignas(cmsghdr) char buf[kSndrcvSpace];
  if (sinfo) put_sndrcv(&m, buf, *sinfo);
  return static_cast<int>(sendmsg(s, &m, flags));
}

SCTPMAP_EXPORT int sctp_recvmsg(int s, void* msg, size_t len, sockaddr* from, socklen_t* fromlen,
                                sctp_sndrcvinfo* sinfo, int* msg_flags) {
  iovec iov{msg, len};
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(sctp_sndrcvinfo)) + CMSG_SPACE(sizeof(sctp_rcvinfo))];
  msghdr m{};
  m.msg_name = from;
  m.msg_namelen = (from && fromlen) ? *fromlen : 0;
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = buf;
  m.msg_controllen = sizeof buf;
  int flags = msg_flags ? *msg_flags : 0;
  ssize_t n = recvmsg(s, &m, flags);
  if (n < 0) return -1;
  if (from && fromlen) *fromlen = m.msg_namelen;
  if (msg_flags) *msg_flags = m.msg_flags;
  if (sinfo) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level == IPPROTO_SCTP && c->cmsg_type == SCTP_SNDRCV) {
        std::memcpy(sinfo, CMSG_DATA(c), sizeof *sinfo);
        break;
      }
    }
  }
  return static_cast<int>(n);
}

SCTPMAP_EXPORT int sctp_getaddrlen(sa_family_t family) {
  if (family == AF_INET) return sizeof(sockaddr_in);
  if (family == AF_INET6) return sizeof(sockaddr_in6);
  errno = EINVAL;
  return -1;
}

SCTPMAP_EXPORT int sctp_opt_info(int sd, sctp_assoc_t id, int opt, void* arg, socklen_t* size) {
  if (!arg || !size || *size < static_cast<socklen_t>(sizeof(sctp_assoc_t))) {
    errno = EINVAL;
    return -1;
  }
  // Every option libsctp passes here starts with the association id.
  std::memcpy(arg, &id, sizeof id);
  return getsockopt(sd, IPPROTO_SCTP, opt, arg, size);
}

SCTPMAP_EXPORT int sctp_bindx(int sd, sockaddr* addrs, int addrcnt, int flags) {
  if (!addrs || addrcnt <= 0) {
    errno = EINVAL;
    return -1;
  }
  if (flags != SCTP_BINDX_ADD_ADDR && flags != SCTP_BINDX_REM_ADDR) {
    errno = EINVAL;
    return -1;
  }
  socklen_t len = 0;
  for (int i = 0; i < addrcnt; ++i) len += addr_size(nth_addr(addrs, i));
  const int opt = flags == SCTP_BINDX_ADD_ADDR ? SCTP_SOCKOPT_BINDX_ADD : SCTP_SOCKOPT_BINDX_REM;
  return setsockopt(sd, IPPROTO_SCTP, opt, addrs, len);
}

// As libsctp: SCTP_SOCKOPT_CONNECTX3 tries the addresses in order and gives
// the association id even when a non-blocking connect is only under way.
static int connectx_common(int sd, sockaddr* addrs, int addrcnt, sctp_assoc_t* id) {
  if (!addrs || addrcnt <= 0) {
    errno = EINVAL;
    return -1;
  }
  int bytes = 0;
  for (int i = 0; i < addrcnt; ++i) bytes += static_cast<int>(addr_size(nth_addr(addrs, i)));
  sctp_getaddrs_old p{};
  p.addr_num = bytes;
  p.addrs = addrs;
  socklen_t len = sizeof p;
  int rc = getsockopt(sd, IPPROTO_SCTP, SCTP_SOCKOPT_CONNECTX3, &p, &len);
  if (id && (rc == 0 || errno == EINPROGRESS)) *id = p.assoc_id;
  return rc;
}

// libsctp.so.1 also defines an unversioned (base) sctp_connectx, the old ABI,
// for binaries linked before the library had versions; so do we.
extern "C" __attribute__((visibility("default"))) int sctpmap_connectx0(int sd, sockaddr* addrs, int addrcnt) {
  return connectx_common(sd, addrs, addrcnt, nullptr);
}
extern "C" __attribute__((visibility("default"))) int sctpmap_connectx1(int sd, sockaddr* addrs, int addrcnt) {
  return connectx_common(sd, addrs, addrcnt, nullptr);
}
extern "C" __attribute__((visibility("default"))) int sctpmap_connectx2(int sd, sockaddr* addrs, int addrcnt,
                                                                       sctp_assoc_t* id) {
  return connectx_common(sd, addrs, addrcnt, id);
}
extern "C" __attribute__((visibility("default"))) int sctpmap_connectx3(int sd, sockaddr* addrs, int addrcnt,
                                                                       sctp_assoc_t* id) {
  return connectx_common(sd, addrs, addrcnt, id);
}
__asm__(".symver sctpmap_connectx0, sctp_connectx@");
__asm__(".symver sctpmap_connectx1, sctp_connectx@VERS_1");
__asm__(".symver sctpmap_connectx2, sctp_connectx@VERS_2");
__asm__(".symver sctpmap_connectx3, sctp_connectx@@VERS_3");

SCTPMAP_EXPORT int sctp_peeloff(int sd, sctp_assoc_t assoc_id) {
  sctp_peeloff_arg_t arg{assoc_id, 0};
  socklen_t len = sizeof arg;
  if (getsockopt(sd, IPPROTO_SCTP, SCTP_SOCKOPT_PEELOFF, &arg, &len) < 0) return -1;
  return arg.sd;
}

SCTPMAP_EXPORT int sctp_peeloff_flags(int sd, sctp_assoc_t assoc_id, unsigned flags) {
  sctp_peeloff_flags_arg_t arg{};
  arg.p_arg.associd = assoc_id;
  arg.flags = flags;
  socklen_t len = sizeof arg;
  if (getsockopt(sd, IPPROTO_SCTP, SCTP_SOCKOPT_PEELOFF_FLAGS, &arg, &len) < 0) return -1;
  return arg.p_arg.sd;
}

SCTPMAP_EXPORT int sctp_getpaddrs(int sd, sctp_assoc_t id, sockaddr** addrs) {
  return get_addrs(sd, id, SCTP_GET_PEER_ADDRS, addrs);
}

SCTPMAP_EXPORT int sctp_getladdrs(int sd, sctp_assoc_t id, sockaddr** addrs) {
  return get_addrs(sd, id, SCTP_GET_LOCAL_ADDRS, addrs);
}

SCTPMAP_EXPORT int sctp_freepaddrs(sockaddr* addrs) {
  std::free(addrs);
  return 0;
}

SCTPMAP_EXPORT int sctp_freeladdrs(sockaddr* addrs) {
  std::free(addrs);
  return 0;
}
