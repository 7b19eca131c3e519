// SPDX-License-Identifier: MIT
// Starting sctp_peer servers and clients from a GoogleTest driver (used by the
// integration and fault suites). The peer's output vocabulary is described at
// the top of sctp_peer.cpp.
#pragma once

#include <sys/wait.h>

#include <initializer_list>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "harness.hpp"

namespace sctpmap::test {

using Args = std::vector<std::string>;

inline Args cat(std::initializer_list<Args> parts) {
  Args out;
  for (const auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

struct PeerServer {
  std::unique_ptr<Child> child;
  std::string port;  // empty when the server did not come up
};

// `server --print-port <args>`, waiting for its PORT line.
inline PeerServer start_server(const Args& args, std::vector<std::string> env = {}) {
  PeerServer s{Child::peer(cat({{"server", "--print-port"}, args}), std::move(env)), ""};
  if (!s.child) return s;
  const auto line = s.child->wait_prefix("PORT ", Ms(10000));
  EXPECT_TRUE(line.has_value()) << "server did not report its port\n" << s.child->transcript();
  if (line) s.port = line->substr(5);
  return s;
}

inline std::unique_ptr<Child> start_client(const std::string& port, const Args& args,
                                           std::vector<std::string> env = {}) {
  return Child::peer(cat({{"client", "--port", port}, args}), std::move(env));
}

inline bool exited_ok(const std::optional<int>& status) {
  return status && WIFEXITED(*status) && WEXITSTATUS(*status) == 0;
}

// Checks that the peer exits 0 within the timeout; prints its transcript if not.
inline void expect_exit_ok(Child& child, Ms timeout) {
  const auto status = child.wait_exit(timeout);
  EXPECT_TRUE(exited_ok(status)) << (status ? describe_status(*status) : "still running")
                                 << "\n" << child.transcript();
}

inline void require_peer_env() {
  ASSERT_FALSE(peer_path().empty()) << "SCTPMAP_PEER is not set (run through meson test)";
  ASSERT_FALSE(lib_path().empty()) << "SCTPMAP_LIB is not set (run through meson test)";
}

}  // namespace sctpmap::test
