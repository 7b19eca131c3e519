// SPDX-License-Identifier: MIT
#include "preload/real.hpp"

#include <dlfcn.h>

namespace sctpmap::preload::real {
namespace {

template <class F>
F next(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

Table resolve() {
  Table t{};
  t.socket = next<SocketFn>("socket");
  t.bind = next<BindFn>("bind");
  t.listen = next<ListenFn>("listen");
  t.accept = next<AcceptFn>("accept");
  t.accept4 = next<Accept4Fn>("accept4");
  t.connect = next<ConnectFn>("connect");
  t.send = next<SendFn>("send");
  t.sendto = next<SendtoFn>("sendto");
  t.sendmsg = next<SendmsgFn>("sendmsg");
  t.write = next<WriteFn>("write");
  t.writev = next<WritevFn>("writev");
  t.recv = next<RecvFn>("recv");
  t.recvfrom = next<RecvfromFn>("recvfrom");
  t.recvmsg = next<RecvmsgFn>("recvmsg");
  t.read = next<ReadFn>("read");
  t.readv = next<ReadvFn>("readv");
  t.close = next<CloseFn>("close");
  t.shutdown = next<ShutdownFn>("shutdown");
  t.setsockopt = next<SetsockoptFn>("setsockopt");
  t.getsockopt = next<GetsockoptFn>("getsockopt");
  t.getsockname = next<SocknameFn>("getsockname");
  t.getpeername = next<SocknameFn>("getpeername");
  t.dup = next<DupFn>("dup");
  t.dup2 = next<Dup2Fn>("dup2");
  t.dup3 = next<Dup3Fn>("dup3");
  t.fcntl = next<FcntlFn>("fcntl");
  t.close_range = next<CloseRangeFn>("close_range");
  t.read_chk = next<ReadChkFn>("__read_chk");
  t.recv_chk = next<RecvChkFn>("__recv_chk");
  t.recvfrom_chk = next<RecvfromChkFn>("__recvfrom_chk");
  return t;
}

}  // namespace

const Table& fns() {
  static const Table t = resolve();  // C++11 magic static: thread-safe, once
  return t;
}

}  // namespace sctpmap::preload::real
