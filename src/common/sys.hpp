// SPDX-License-Identifier: MIT
// Raw system calls for the library's own fds (TCP sockets, socketpair ends,
// eventfd, ring). The preload interposes the libc names, so calling them from
// inside the library would route our own fds back through the shim; syscall(2)
// cannot be interposed. Each returns -1 and sets errno, like libc.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

namespace sctpmap::sys {

inline int close(int fd) { return static_cast<int>(::syscall(SYS_close, fd)); }
inline int socket(int d, int t, int p) { return static_cast<int>(::syscall(SYS_socket, d, t, p)); }
inline int socketpair(int d, int t, int p, int sv[2]) {
  return static_cast<int>(::syscall(SYS_socketpair, d, t, p, sv));
}
inline int bind(int fd, const sockaddr* a, socklen_t l) { return static_cast<int>(::syscall(SYS_bind, fd, a, l)); }
inline int listen(int fd, int b) { return static_cast<int>(::syscall(SYS_listen, fd, b)); }
inline int connect(int fd, const sockaddr* a, socklen_t l) {
  return static_cast<int>(::syscall(SYS_connect, fd, a, l));
}
inline int accept4(int fd, sockaddr* a, socklen_t* l, int f) {
  return static_cast<int>(::syscall(SYS_accept4, fd, a, l, f));
}
inline ssize_t sendmsg(int fd, const msghdr* m, int f) { return ::syscall(SYS_sendmsg, fd, m, f); }
inline ssize_t recvmsg(int fd, msghdr* m, int f) { return ::syscall(SYS_recvmsg, fd, m, f); }
inline ssize_t send(int fd, const void* b, size_t n, int f) {
  return ::syscall(SYS_sendto, fd, b, n, f, nullptr, 0);
}
inline ssize_t recv(int fd, void* b, size_t n, int f) { return ::syscall(SYS_recvfrom, fd, b, n, f, nullptr, nullptr); }
inline ssize_t read(int fd, void* b, size_t n) { return ::syscall(SYS_read, fd, b, n); }
inline ssize_t write(int fd, const void* b, size_t n) { return ::syscall(SYS_write, fd, b, n); }
inline int shutdown(int fd, int how) { return static_cast<int>(::syscall(SYS_shutdown, fd, how)); }
inline int setsockopt(int fd, int l, int n, const void* v, socklen_t len) {
  return static_cast<int>(::syscall(SYS_setsockopt, fd, l, n, v, len));
}
inline int getsockopt(int fd, int l, int n, void* v, socklen_t* len) {
  return static_cast<int>(::syscall(SYS_getsockopt, fd, l, n, v, len));
}
inline int getsockname(int fd, sockaddr* a, socklen_t* l) {
  return static_cast<int>(::syscall(SYS_getsockname, fd, a, l));
}
inline int getpeername(int fd, sockaddr* a, socklen_t* l) {
  return static_cast<int>(::syscall(SYS_getpeername, fd, a, l));
}
inline int poll(pollfd* fds, nfds_t n, int timeout_ms) {
  return static_cast<int>(::syscall(SYS_poll, fds, n, timeout_ms));
}
inline int fcntl(int fd, int cmd, long arg = 0) { return static_cast<int>(::syscall(SYS_fcntl, fd, cmd, arg)); }

}  // namespace sctpmap::sys
