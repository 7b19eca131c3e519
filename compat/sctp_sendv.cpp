// SPDX-License-Identifier: MIT
// sctp_sendv / sctp_recvv (RFC 6458 sections 9.12 and 9.13).
#include <netinet/sctp.h>

#include <cerrno>
#include <cstring>

#define SCTPMAP_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

void add_cmsg(msghdr* m, size_t* used, int type, const void* data, size_t len) {
  auto* c = reinterpret_cast<cmsghdr*>(static_cast<char*>(m->msg_control) + *used);
  c->cmsg_level = IPPROTO_SCTP;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(len);
  std::memcpy(CMSG_DATA(c), data, len);
  *used += CMSG_SPACE(len);
}

// Returns false when `info` does not match `infotype`.
bool build_send_cmsgs(msghdr* m, void* info, socklen_t infolen, unsigned infotype) {
  size_t used = 0;
  switch (infotype) {
    case SCTP_SENDV_NOINFO:
      if (info || infolen) return false;
      break;
    case SCTP_SENDV_SNDINFO:
      if (!info || infolen < sizeof(sctp_sndinfo)) return false;
      add_cmsg(m, &used, SCTP_SNDINFO, info, sizeof(sctp_sndinfo));
      break;
    case SCTP_SENDV_PRINFO:
      if (!info || infolen < sizeof(sctp_prinfo)) return false;
      add_cmsg(m, &used, SCTP_PRINFO, info, sizeof(sctp_prinfo));
      break;
    case SCTP_SENDV_AUTHINFO:
      if (!info || infolen < sizeof(sctp_authinfo)) return false;
      add_cmsg(m, &used, SCTP_AUTHINFO, info, sizeof(sctp_authinfo));
      break;
    case SCTP_SENDV_SPA: {
      if (!info || infolen < sizeof(sctp_sendv_spa)) return false;
      auto* spa = static_cast<sctp_sendv_spa*>(info);
      if (spa->sendv_flags & SCTP_SEND_SNDINFO_VALID)
        add_cmsg(m, &used, SCTP_SNDINFO, &spa->sendv_sndinfo, sizeof spa->sendv_sndinfo);
      if (spa->sendv_flags & SCTP_SEND_PRINFO_VALID)
        add_cmsg(m, &used, SCTP_PRINFO, &spa->sendv_prinfo, sizeof spa->sendv_prinfo);
      if (spa->sendv_flags & SCTP_SEND_AUTHINFO_VALID)
        add_cmsg(m, &used, SCTP_AUTHINFO, &spa->sendv_authinfo, sizeof spa->sendv_authinfo);
      break;
    }
    default:
      return false;
  }
  m->msg_controllen = used;
  if (used == 0) m->msg_control = nullptr;
  return true;
}

}  // namespace

SCTPMAP_EXPORT int sctp_sendv(int s, const iovec* iov, int iovcnt, sockaddr* addrs, int addrcnt, void* info,
                              socklen_t infolen, unsigned int infotype, int flags) {
  if (iovcnt < 0 || addrcnt < 0 || (addrcnt > 0 && !addrs)) {
    errno = EINVAL;
    return -1;
  }
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(sctp_sndinfo)) + CMSG_SPACE(sizeof(sctp_prinfo)) +
                            CMSG_SPACE(sizeof(sctp_authinfo))];
  msghdr m{};
  m.msg_iov = const_cast<iovec*>(iov);
  m.msg_iovlen = static_cast<size_t>(iovcnt);
  m.msg_control = buf;
  if (!build_send_cmsgs(&m, info, infolen, infotype)) {
    errno = EINVAL;
    return -1;
  }
  if (addrcnt > 0) {
    m.msg_name = addrs;
    m.msg_namelen = addrs->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
  }
  return static_cast<int>(sendmsg(s, &m, flags));
}

SCTPMAP_EXPORT int sctp_recvv(int s, const iovec* iov, int iovlen, sockaddr* from, socklen_t* fromlen, void* info,
                              socklen_t* infolen, unsigned int* infotype, int* flags) {
  if (iovlen < 0 || (info && (!infolen || !infotype))) {
    errno = EINVAL;
    return -1;
  }
  // Room for SCTP_SNDRCV as well: with sctp_data_io_event also on it comes
  // after SCTP_RCVINFO (Linux's order); without its space the call would
  // report MSG_CTRUNC.
  alignas(cmsghdr) char buf[CMSG_SPACE(sizeof(sctp_rcvinfo)) + CMSG_SPACE(sizeof(sctp_nxtinfo)) +
                            CMSG_SPACE(sizeof(sctp_sndrcvinfo))];
  msghdr m{};
  m.msg_name = from;
  m.msg_namelen = (from && fromlen) ? *fromlen : 0;
  m.msg_iov = const_cast<iovec*>(iov);
  m.msg_iovlen = static_cast<size_t>(iovlen);
  m.msg_control = buf;
  m.msg_controllen = sizeof buf;
  ssize_t n = recvmsg(s, &m, flags ? *flags : 0);
  if (n < 0) return -1;
  if (from && fromlen) *fromlen = m.msg_namelen;
  if (flags) *flags = m.msg_flags;
  sctp_recvv_rn rn{};
  bool have_rcv = false, have_nxt = false;
  for (cmsghdr* c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != IPPROTO_SCTP) continue;
    if (c->cmsg_type == SCTP_RCVINFO) {
      std::memcpy(&rn.recvv_rcvinfo, CMSG_DATA(c), sizeof rn.recvv_rcvinfo);
      have_rcv = true;
    } else if (c->cmsg_type == SCTP_NXTINFO) {
      std::memcpy(&rn.recvv_nxtinfo, CMSG_DATA(c), sizeof rn.recvv_nxtinfo);
      have_nxt = true;
    }
  }
  if (info) {
    if (have_rcv && have_nxt && *infolen >= sizeof rn) {
      std::memcpy(info, &rn, sizeof rn);
      *infolen = sizeof rn;
      *infotype = SCTP_RECVV_RN;
    } else if (have_rcv && *infolen >= sizeof rn.recvv_rcvinfo) {
      std::memcpy(info, &rn.recvv_rcvinfo, sizeof rn.recvv_rcvinfo);
      *infolen = sizeof rn.recvv_rcvinfo;
      *infotype = SCTP_RECVV_RCVINFO;
    } else if (have_nxt && *infolen >= sizeof rn.recvv_nxtinfo) {
      std::memcpy(info, &rn.recvv_nxtinfo, sizeof rn.recvv_nxtinfo);
      *infolen = sizeof rn.recvv_nxtinfo;
      *infotype = SCTP_RECVV_NXTINFO;
    } else {
      *infolen = 0;
      *infotype = SCTP_RECVV_NOINFO;
    }
  }
  return static_cast<int>(n);
}
