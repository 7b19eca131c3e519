// SPDX-License-Identifier: MIT
// Address checks and conversions shared by the socket calls (Linux's errno
// values: EINVAL for a short address, EAFNOSUPPORT for a foreign family).
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

namespace sctpmap::socket {

socklen_t addr_len(int family);
// 0, or -errno for an address a socket of `domain` cannot use.
int check_addr(int domain, const sockaddr* addr, socklen_t len);
// The address as a TCP socket of `domain` takes it: AF_INET becomes
// ::ffff:a.b.c.d on an AF_INET6 socket.
sockaddr_storage to_domain(int domain, const sockaddr* addr);
// Same family, address and port (padding ignored).
bool same_addr(const sockaddr_storage& a, const sockaddr_storage& b);

}  // namespace sctpmap::socket
