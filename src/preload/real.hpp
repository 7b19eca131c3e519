// SPDX-License-Identifier: MIT
// libc's own functions, found once with dlsym(RTLD_NEXT) so every call on a
// descriptor we do not emulate behaves exactly as without the library
// (cancellation points, other preloaded libraries further down the chain).
#pragma once

#include <sys/socket.h>
#include <sys/uio.h>

namespace sctpmap::preload::real {

using SocketFn = int (*)(int, int, int);
using BindFn = int (*)(int, const sockaddr*, socklen_t);
using ListenFn = int (*)(int, int);
using AcceptFn = int (*)(int, sockaddr*, socklen_t*);
using Accept4Fn = int (*)(int, sockaddr*, socklen_t*, int);
using ConnectFn = int (*)(int, const sockaddr*, socklen_t);
using SendFn = ssize_t (*)(int, const void*, size_t, int);
using SendtoFn = ssize_t (*)(int, const void*, size_t, int, const sockaddr*, socklen_t);
using SendmsgFn = ssize_t (*)(int, const msghdr*, int);
using WriteFn = ssize_t (*)(int, const void*, size_t);
using WritevFn = ssize_t (*)(int, const iovec*, int);
using RecvFn = ssize_t (*)(int, void*, size_t, int);
using RecvfromFn = ssize_t (*)(int, void*, size_t, int, sockaddr*, socklen_t*);
using RecvmsgFn = ssize_t (*)(int, msghdr*, int);
using ReadFn = ssize_t (*)(int, void*, size_t);
using ReadvFn = ssize_t (*)(int, const iovec*, int);
using CloseFn = int (*)(int);
using ShutdownFn = int (*)(int, int);
using SetsockoptFn = int (*)(int, int, int, const void*, socklen_t);
using GetsockoptFn = int (*)(int, int, int, void*, socklen_t*);
using SocknameFn = int (*)(int, sockaddr*, socklen_t*);
using DupFn = int (*)(int);
using Dup2Fn = int (*)(int, int);
using Dup3Fn = int (*)(int, int, int);
using FcntlFn = int (*)(int, int, ...);
using CloseRangeFn = int (*)(unsigned, unsigned, int);
using ReadChkFn = ssize_t (*)(int, void*, size_t, size_t);
using RecvChkFn = ssize_t (*)(int, void*, size_t, size_t, int);
using RecvfromChkFn = ssize_t (*)(int, void*, size_t, size_t, int, sockaddr*, socklen_t*);

struct Table {
  SocketFn socket;
  BindFn bind;
  ListenFn listen;
  AcceptFn accept;
  Accept4Fn accept4;
  ConnectFn connect;
  SendFn send;
  SendtoFn sendto;
  SendmsgFn sendmsg;
  WriteFn write;
  WritevFn writev;
  RecvFn recv;
  RecvfromFn recvfrom;
  RecvmsgFn recvmsg;
  ReadFn read;
  ReadvFn readv;
  CloseFn close;
  ShutdownFn shutdown;
  SetsockoptFn setsockopt;
  GetsockoptFn getsockopt;
  SocknameFn getsockname;
  SocknameFn getpeername;
  DupFn dup;
  Dup2Fn dup2;
  Dup3Fn dup3;
  FcntlFn fcntl;
  CloseRangeFn close_range;
  ReadChkFn read_chk;
  RecvChkFn recv_chk;
  RecvfromChkFn recvfrom_chk;
};

// Resolved on first use, thread-safely; never changes afterwards.
const Table& fns();

}  // namespace sctpmap::preload::real
