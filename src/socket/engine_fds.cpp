// SPDX-License-Identifier: MIT
#include "socket/engine_fds.hpp"

#include <pthread.h>

#include <mutex>
#include <unordered_set>

#include "common/sys.hpp"

namespace sctpmap::socket {
namespace {

struct Owned {
  std::mutex mu;
  std::unordered_set<int> fds;
};

Owned& owned() {
  static auto* o = [] {
    auto* p = new Owned();  // leaked: used until the process image is gone
    pthread_atfork([] { owned().mu.lock(); }, [] { owned().mu.unlock(); },
                   [] {
                     Owned& x = owned();
                     for (int fd : x.fds) sys::close(fd);
                     x.fds.clear();
                     x.mu.unlock();
                   });
    return p;
  }();
  return *o;
}

}  // namespace

void own_fd(int fd) {
  if (fd < 0) return;
  Owned& o = owned();
  std::lock_guard lock(o.mu);
  o.fds.insert(fd);
}

void close_owned(int fd) {
  if (fd < 0) return;
  Owned& o = owned();
  {
    std::lock_guard lock(o.mu);
    o.fds.erase(fd);
  }
  sys::close(fd);
}

}  // namespace sctpmap::socket
