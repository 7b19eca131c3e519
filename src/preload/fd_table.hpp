// SPDX-License-Identifier: MIT
// The fd table: the library's one documented global. Maps an application fd
// to its emulated socket. The check "is this fd emulated?" is one relaxed
// atomic load, so calls on every other fd pay (almost) nothing.
#pragma once

#include <memory>

#include "socket/socket.hpp"

namespace sctpmap::preload {

class FdTable {
 public:
  static FdTable& get();

  std::shared_ptr<socket::Socket> find(int fd);
  void insert(int fd, std::shared_ptr<socket::Socket> s);
  // Removes `fd`; returns its socket when no other fd refers to it any more.
  std::shared_ptr<socket::Socket> erase(int fd);
  // Another fd (dup) now refers to the socket of `fd`.
  void alias(int from, int to);

 private:
  FdTable() = default;
};

}  // namespace sctpmap::preload
