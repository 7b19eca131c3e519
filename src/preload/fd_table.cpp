// SPDX-License-Identifier: MIT
#include "preload/fd_table.hpp"

#include <atomic>
#include <mutex>
#include <unordered_map>

namespace sctpmap::preload {
namespace {

constexpr int kChunkBits = 12;
constexpr int kChunk = 1 << kChunkBits;
constexpr int kChunks = 1024;  // fds below 4M: the fast path covers every realistic RLIMIT_NOFILE

struct State {
  std::atomic<std::atomic<uint8_t>*> marks[kChunks] = {};
  std::mutex mu;
  std::unordered_map<int, std::shared_ptr<socket::Socket>> sockets;
  std::unordered_map<const socket::Socket*, int> refs;
};

State& state() {
  static auto* s = new State();  // leaked: calls may arrive during exit
  return *s;
}

std::atomic<uint8_t>* mark(int fd, bool create) {
  if (fd < 0 || fd >= kChunk * kChunks) return nullptr;
  auto& slot = state().marks[fd >> kChunkBits];
  auto* chunk = slot.load(std::memory_order_acquire);
  if (!chunk && create) {
    auto* fresh = new std::atomic<uint8_t>[kChunk]();
    if (slot.compare_exchange_strong(chunk, fresh)) chunk = fresh;
    else delete[] fresh;
  }
  return chunk ? &chunk[fd & (kChunk - 1)] : nullptr;
}

}  // namespace

FdTable& FdTable::get() {
  static FdTable t;
  return t;
}

std::shared_ptr<socket::Socket> FdTable::find(int fd) {
  auto* m = mark(fd, false);
  if (!m || !m->load(std::memory_order_relaxed)) return nullptr;
  auto& s = state();
  std::lock_guard lock(s.mu);
  auto it = s.sockets.find(fd);
  return it == s.sockets.end() ? nullptr : it->second;
}

void FdTable::insert(int fd, std::shared_ptr<socket::Socket> sock) {
  auto& s = state();
  std::lock_guard lock(s.mu);
  if (auto* m = mark(fd, true)) m->store(1, std::memory_order_relaxed);
  s.refs[sock.get()]++;
  s.sockets[fd] = std::move(sock);
}

std::shared_ptr<socket::Socket> FdTable::erase(int fd) {
  auto& s = state();
  std::lock_guard lock(s.mu);
  auto it = s.sockets.find(fd);
  if (it == s.sockets.end()) return nullptr;
  auto sock = std::move(it->second);
  s.sockets.erase(it);
  if (auto* m = mark(fd, false)) m->store(0, std::memory_order_relaxed);
  if (--s.refs[sock.get()] > 0) return nullptr;
  s.refs.erase(sock.get());
  return sock;
}

void FdTable::alias(int from, int to) {
  auto sock = find(from);
  if (sock) insert(to, std::move(sock));
}

}  // namespace sctpmap::preload
