// SPDX-License-Identifier: MIT
// libc interposition: calls on emulated fds go to the socket layer, every
// other call goes to libc unchanged. Converts -errno results to -1 + errno.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/uio.h>

#include <cerrno>
#include <cstdarg>
#include <cstring>

#include "preload/fd_table.hpp"
#include "preload/real.hpp"

// No exception leaves these functions; `noexcept` is spelled only where
// glibc's own declaration has __THROW (the cancellation points have none,
// and clang rejects a mismatch).
#define SCTPMAP_EXPORT extern "C" __attribute__((visibility("default")))

using sctpmap::preload::FdTable;
using sctpmap::preload::real::fns;
using SocketPtr = std::shared_ptr<sctpmap::socket::Socket>;

namespace {

template <class T>
T ret(T rc) {
  if (rc < 0) {
    errno = static_cast<int>(-rc);
    return -1;
  }
  return rc;
}

SocketPtr lookup(int fd) { return FdTable::get().find(fd); }

msghdr single(void* buf, size_t len, iovec* iov) {
  *iov = {buf, len};
  msghdr m{};
  m.msg_iov = iov;
  m.msg_iovlen = 1;
  return m;
}

ssize_t recv_into(const SocketPtr& s, int fd, void* buf, size_t len, int flags, sockaddr* from, socklen_t* fromlen) {
  iovec iov;
  msghdr m = single(buf, len, &iov);
  m.msg_name = from;
  m.msg_namelen = (from && fromlen) ? *fromlen : 0;
  ssize_t n = s->recvmsg(fd, &m, flags);
  if (n >= 0 && from && fromlen) *fromlen = m.msg_namelen;
  return ret(n);
}

void forget(int fd) {
  if (SocketPtr last = FdTable::get().erase(fd)) last->on_last_close();
}

}  // namespace

SCTPMAP_EXPORT int socket(int domain, int type, int protocol) noexcept {
  if (protocol != IPPROTO_SCTP || (domain != AF_INET && domain != AF_INET6))
    return fns().socket(domain, type, protocol);
  SocketPtr s;
  int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
  // Any other type (SOCK_RAW for protocol 132, or an invalid one) is the
  // kernel's to create or refuse, with its own errno.
  if (base != SOCK_STREAM && base != SOCK_SEQPACKET) return fns().socket(domain, type, protocol);
  int fd = sctpmap::socket::Socket::create(domain, base, type & (SOCK_NONBLOCK | SOCK_CLOEXEC), &s);
  if (fd < 0) return ret(fd);
  FdTable::get().insert(fd, std::move(s));
  return fd;
}

SCTPMAP_EXPORT int bind(int fd, const sockaddr* addr, socklen_t len) noexcept {
  if (auto s = lookup(fd)) return ret(s->bind(addr, len));
  return fns().bind(fd, addr, len);
}

SCTPMAP_EXPORT int listen(int fd, int backlog) noexcept {
  if (auto s = lookup(fd)) return ret(s->listen(backlog));
  return fns().listen(fd, backlog);
}

SCTPMAP_EXPORT int accept4(int fd, sockaddr* addr, socklen_t* len, int flags) {
  auto s = lookup(fd);
  if (!s) return fns().accept4(fd, addr, len, flags);
  SocketPtr child;
  int nfd = s->accept(fd, addr, len, flags, &child);
  if (nfd < 0) return ret(nfd);
  FdTable::get().insert(nfd, std::move(child));
  return nfd;
}

SCTPMAP_EXPORT int accept(int fd, sockaddr* addr, socklen_t* len) {
  if (!lookup(fd)) return fns().accept(fd, addr, len);
  return accept4(fd, addr, len, 0);
}

SCTPMAP_EXPORT int connect(int fd, const sockaddr* addr, socklen_t len) {
  if (auto s = lookup(fd)) return ret(s->connect(fd, addr, len));
  return fns().connect(fd, addr, len);
}

SCTPMAP_EXPORT ssize_t sendmsg(int fd, const msghdr* msg, int flags) {
  if (auto s = lookup(fd)) return ret(s->sendmsg(fd, msg, flags));
  return fns().sendmsg(fd, msg, flags);
}

SCTPMAP_EXPORT ssize_t sendto(int fd, const void* buf, size_t len, int flags, const sockaddr* to,
                              socklen_t tolen) {
  auto s = lookup(fd);
  if (!s) return fns().sendto(fd, buf, len, flags, to, tolen);
  iovec iov;
  msghdr m = single(const_cast<void*>(buf), len, &iov);
  m.msg_name = const_cast<sockaddr*>(to);  // one-to-many: the association, or a new one
  m.msg_namelen = to ? tolen : 0;
  return ret(s->sendmsg(fd, &m, flags));
}

SCTPMAP_EXPORT ssize_t send(int fd, const void* buf, size_t len, int flags) {
  auto s = lookup(fd);
  if (!s) return fns().send(fd, buf, len, flags);
  iovec iov;
  msghdr m = single(const_cast<void*>(buf), len, &iov);
  return ret(s->sendmsg(fd, &m, flags));
}

SCTPMAP_EXPORT ssize_t write(int fd, const void* buf, size_t len) {
  auto s = lookup(fd);
  if (!s) return fns().write(fd, buf, len);
  iovec iov;
  msghdr m = single(const_cast<void*>(buf), len, &iov);
  return ret(s->sendmsg(fd, &m, 0));
}

SCTPMAP_EXPORT ssize_t writev(int fd, const iovec* iov, int cnt) {
  auto s = lookup(fd);
  if (!s) return fns().writev(fd, iov, cnt);
  if (cnt < 0) return ret<ssize_t>(-EINVAL);
  msghdr m{};
  m.msg_iov = const_cast<iovec*>(iov);
  m.msg_iovlen = static_cast<size_t>(cnt);
  return ret(s->sendmsg(fd, &m, 0));
}

SCTPMAP_EXPORT ssize_t recvmsg(int fd, msghdr* msg, int flags) {
  if (auto s = lookup(fd)) return ret(s->recvmsg(fd, msg, flags));
  return fns().recvmsg(fd, msg, flags);
}

SCTPMAP_EXPORT ssize_t recvfrom(int fd, void* buf, size_t len, int flags, sockaddr* from, socklen_t* fromlen) {
  if (auto s = lookup(fd)) return recv_into(s, fd, buf, len, flags, from, fromlen);
  return fns().recvfrom(fd, buf, len, flags, from, fromlen);
}

SCTPMAP_EXPORT ssize_t recv(int fd, void* buf, size_t len, int flags) {
  if (auto s = lookup(fd)) return recv_into(s, fd, buf, len, flags, nullptr, nullptr);
  return fns().recv(fd, buf, len, flags);
}

SCTPMAP_EXPORT ssize_t read(int fd, void* buf, size_t len) {
  if (auto s = lookup(fd)) return recv_into(s, fd, buf, len, 0, nullptr, nullptr);
  return fns().read(fd, buf, len);
}

SCTPMAP_EXPORT ssize_t readv(int fd, const iovec* iov, int cnt) {
  auto s = lookup(fd);
  if (!s) return fns().readv(fd, iov, cnt);
  if (cnt < 0) return ret<ssize_t>(-EINVAL);
  msghdr m{};
  m.msg_iov = const_cast<iovec*>(iov);
  m.msg_iovlen = static_cast<size_t>(cnt);
  return ret(s->recvmsg(fd, &m, 0));
}

// _FORTIFY_SOURCE builds (Debian's default) call these instead.
SCTPMAP_EXPORT ssize_t __read_chk(int fd, void* buf, size_t len, size_t buflen) noexcept {
  if (auto s = lookup(fd)) return recv_into(s, fd, buf, len < buflen ? len : buflen, 0, nullptr, nullptr);
  return fns().read_chk(fd, buf, len, buflen);
}

SCTPMAP_EXPORT ssize_t __recv_chk(int fd, void* buf, size_t len, size_t buflen, int flags) noexcept {
  if (auto s = lookup(fd)) return recv_into(s, fd, buf, len < buflen ? len : buflen, flags, nullptr, nullptr);
  return fns().recv_chk(fd, buf, len, buflen, flags);
}

SCTPMAP_EXPORT ssize_t __recvfrom_chk(int fd, void* buf, size_t len, size_t buflen, int flags, sockaddr* from,
                                      socklen_t* fromlen) noexcept {
  if (auto s = lookup(fd)) return recv_into(s, fd, buf, len < buflen ? len : buflen, flags, from, fromlen);
  return fns().recvfrom_chk(fd, buf, len, buflen, flags, from, fromlen);
}

SCTPMAP_EXPORT int shutdown(int fd, int how) noexcept {
  if (auto s = lookup(fd)) return ret(s->shutdown(fd, how));
  return fns().shutdown(fd, how);
}

SCTPMAP_EXPORT int setsockopt(int fd, int level, int name, const void* val, socklen_t len) noexcept {
  auto s = lookup(fd);
  if (!s) return fns().setsockopt(fd, level, name, val, len);
  int rc = s->setsockopt(fd, level, name, val, len);
  if (rc == 1) return fns().setsockopt(fd, level, name, val, len);  // generic SOL_SOCKET: the pair end
  return ret(rc);
}

namespace {

// SCTP_SOCKOPT_PEELOFF(_FLAGS), what libsctp's sctp_peeloff uses: the new
// fd must enter the fd table, which only this layer holds.
int peeloff_option(int fd, const SocketPtr& s, int name, void* val, socklen_t* len) {
  sctp_peeloff_flags_arg_t arg{};
  const socklen_t need = name == SCTP_SOCKOPT_PEELOFF ? sizeof(sctp_peeloff_arg_t) : sizeof arg;
  if (!val || !len || *len < need) return -EINVAL;
  std::memcpy(&arg, val, need);
  SocketPtr peeled;
  int nfd = s->peeloff(fd, arg.p_arg.associd, name == SCTP_SOCKOPT_PEELOFF ? 0 : static_cast<int>(arg.flags), &peeled);
  if (nfd < 0) return nfd;
  FdTable::get().insert(nfd, std::move(peeled));
  arg.p_arg.sd = nfd;
  std::memcpy(val, &arg, need);
  *len = need;
  return 0;
}

}  // namespace

SCTPMAP_EXPORT int getsockopt(int fd, int level, int name, void* val, socklen_t* len) noexcept {
  auto s = lookup(fd);
  if (!s) return fns().getsockopt(fd, level, name, val, len);
  if (level == IPPROTO_SCTP && (name == SCTP_SOCKOPT_PEELOFF || name == SCTP_SOCKOPT_PEELOFF_FLAGS))
    return ret(peeloff_option(fd, s, name, val, len));
  int rc = s->getsockopt(fd, level, name, val, len);
  if (rc == 1) return fns().getsockopt(fd, level, name, val, len);
  return ret(rc);
}

SCTPMAP_EXPORT int getsockname(int fd, sockaddr* addr, socklen_t* len) noexcept {
  if (auto s = lookup(fd)) return ret(s->getsockname(addr, len));
  return fns().getsockname(fd, addr, len);
}

SCTPMAP_EXPORT int getpeername(int fd, sockaddr* addr, socklen_t* len) noexcept {
  if (auto s = lookup(fd)) return ret(s->getpeername(addr, len));
  return fns().getpeername(fd, addr, len);
}

SCTPMAP_EXPORT int close(int fd) {
  if (lookup(fd)) forget(fd);
  return fns().close(fd);
}

SCTPMAP_EXPORT int dup(int fd) noexcept {
  int nfd = fns().dup(fd);
  if (nfd >= 0) FdTable::get().alias(fd, nfd);
  return nfd;
}

SCTPMAP_EXPORT int dup3(int oldfd, int newfd, int flags) noexcept {
  if (oldfd != newfd && lookup(newfd)) forget(newfd);
  int rc = fns().dup3(oldfd, newfd, flags);
  if (rc >= 0) FdTable::get().alias(oldfd, rc);
  return rc;
}

SCTPMAP_EXPORT int dup2(int oldfd, int newfd) noexcept {
  if (oldfd != newfd && lookup(newfd)) forget(newfd);
  int rc = fns().dup2(oldfd, newfd);
  if (rc >= 0 && oldfd != newfd) FdTable::get().alias(oldfd, rc);
  return rc;
}

SCTPMAP_EXPORT int fcntl(int fd, int cmd, ...) {
  va_list ap;
  va_start(ap, cmd);
  long arg = va_arg(ap, long);  // every fcntl argument fits a long on Linux ABIs
  va_end(ap);
  int rc = fns().fcntl(fd, cmd, arg);
  if (rc >= 0 && (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)) FdTable::get().alias(fd, rc);
  return rc;
}

SCTPMAP_EXPORT int close_range(unsigned first, unsigned last, int flags) noexcept {
  if (!(flags & CLOSE_RANGE_CLOEXEC)) {
    for (unsigned fd = first; fd <= last && fd < (1u << 22); ++fd)
      if (lookup(static_cast<int>(fd))) forget(static_cast<int>(fd));
  }
  if (!fns().close_range) return ret(-ENOSYS);
  return fns().close_range(first, last, flags);
}
