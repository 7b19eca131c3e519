// SPDX-License-Identifier: MIT
// Helpers for the in-process API tests; contract in api_util.hpp.
#include "api_util.hpp"

#include <arpa/inet.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>

#include "harness.hpp"
#include "peer_events.hpp"

namespace sctpmap::test {

bool in_api_child() { return std::getenv("SCTPMAP_API_CHILD") != nullptr; }

void run_in_preloaded_child(int seconds) {
  ASSERT_FALSE(lib_path().empty()) << "SCTPMAP_LIB is not set (run through meson test)";
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string filter = std::string(info->test_suite_name()) + "." + info->name();
  char self[PATH_MAX] = {};
  ASSERT_GT(readlink("/proc/self/exe", self, sizeof self - 1), 0);
  Deadline deadline(seconds + 15);
  auto child = Child::spawn({self, "--gtest_filter=" + filter, "--gtest_color=no"},
                            SpawnOptions{true, {"SCTPMAP_API_CHILD=1", "SCTPMAP_LOG=warn"}});
  ASSERT_TRUE(child);
  const auto status = child->wait_exit(Ms(seconds * 1000));
  ASSERT_TRUE(status.has_value()) << "no result within " << seconds << " s\n" << child->transcript();
  ASSERT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0)
      << "child " << describe_status(*status) << "\n" << child->transcript();
  // Guards against a filter that matched nothing (which also exits 0).
  EXPECT_FALSE(child->grep("[  PASSED  ] 1 test").empty()) << child->transcript();
}

int sctp_socket(int type_flags) {
  const int fd = socket(AF_INET, SOCK_STREAM | type_flags, IPPROTO_SCTP);
  EXPECT_GE(fd, 0) << "socket(IPPROTO_SCTP): " << std::strerror(errno);
  return fd;
}

int many_socket(int type_flags) {
  const int fd = socket(AF_INET, SOCK_SEQPACKET | type_flags, IPPROTO_SCTP);
  EXPECT_GE(fd, 0) << "socket(SOCK_SEQPACKET, IPPROTO_SCTP): " << std::strerror(errno);
  return fd;
}

uint16_t closed_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa = loopback(0);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0);
  socklen_t len = sizeof sa;
  getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
  close(fd);
  return ntohs(sa.sin_port);
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in sa{};
  sa.sin_family = AF_INET;
  sa.sin_port = htons(port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return sa;
}

uint16_t listen_any(int fd) {
  sockaddr_in sa = loopback(0);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
  EXPECT_EQ(listen(fd, 16), 0) << std::strerror(errno);
  socklen_t len = sizeof sa;
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len), 0) << std::strerror(errno);
  EXPECT_NE(ntohs(sa.sin_port), 0) << "port 0 must be replaced by the bound port";
  return ntohs(sa.sin_port);
}

bool readable_within(int fd, int timeout_ms) {
  pollfd p{fd, POLLIN, 0};
  int r;
  while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
  }
  return r > 0;
}

std::vector<sctp_assoc_t> assoc_ids(int fd) {
  std::vector<uint8_t> buf(sizeof(sctp_assoc_ids) + 64 * sizeof(sctp_assoc_t));
  socklen_t len = static_cast<socklen_t>(buf.size());
  if (getsockopt(fd, SOL_SCTP, SCTP_GET_ASSOC_ID_LIST, buf.data(), &len) != 0) return {};
  const auto* ids = reinterpret_cast<const sctp_assoc_ids*>(buf.data());
  return std::vector<sctp_assoc_t>(ids->gaids_assoc_id, ids->gaids_assoc_id + ids->gaids_number_of_ids);
}

int accept_within(int listener, int timeout_ms) {
  if (!readable_within(listener, timeout_ms)) {
    ADD_FAILURE() << "no association to accept within " << timeout_ms << " ms";
    return -1;
  }
  const int fd = accept(listener, nullptr, nullptr);
  EXPECT_GE(fd, 0) << "accept: " << std::strerror(errno);
  return fd;
}

void subscribe(int fd, Events events) {
  sctp_event_subscribe ev{};
  ev.sctp_data_io_event = 1;
  ev.sctp_association_event = events.association;
  ev.sctp_shutdown_event = events.shutdown;
  ev.sctp_send_failure_event = events.send_failure;
  EXPECT_EQ(setsockopt(fd, SOL_SCTP, SCTP_EVENTS, &ev, sizeof ev), 0) << std::strerror(errno);
}

Assoc::~Assoc() {
  for (int fd : {client, server, listener})
    if (fd >= 0) close(fd);
}

void make_assoc(Assoc& a, void (*setup_listener)(int), void (*setup_client)(int)) {
  // SCTP_SNDRCV ancillary data needs sctp_data_io_event, as on Linux; the
  // callbacks may subscribe to more.
  a.listener = sctp_socket();
  subscribe(a.listener, Events{});
  if (setup_listener) setup_listener(a.listener);
  a.port = listen_any(a.listener);
  a.client = sctp_socket();
  subscribe(a.client, Events{});
  if (setup_client) setup_client(a.client);
  sockaddr_in sa = loopback(a.port);
  ASSERT_EQ(connect(a.client, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
  a.server = accept_within(a.listener, 3000);
  ASSERT_GE(a.server, 0);
}

Received receive(int fd, size_t len, int timeout_ms, int extra) {
  Received r;
  if (!readable_within(fd, timeout_ms)) {
    r.n = -2;
    return r;
  }
  r.data.resize(len);
  iovec iov{r.data.data(), len};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(sctp_sndrcvinfo)) + 64];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  r.n = recvmsg(fd, &msg, extra);
  r.err = r.n < 0 ? errno : 0;
  r.flags = msg.msg_flags;
  r.data.resize(r.n > 0 ? size_t(r.n) : 0);
  for (cmsghdr* c = CMSG_FIRSTHDR(&msg); r.n > 0 && c; c = CMSG_NXTHDR(&msg, c)) {
    if (c->cmsg_level == IPPROTO_SCTP && c->cmsg_type == SCTP_SNDRCV) {
      std::memcpy(&r.sinfo, CMSG_DATA(c), sizeof r.sinfo);
      r.has_sinfo = true;
    }
  }
  return r;
}

int send_message(int fd, const std::vector<uint8_t>& data, uint16_t stream, uint32_t ppid, uint32_t flags) {
  return sctp_sendmsg(fd, data.data(), data.size(), nullptr, 0, ppid, flags, stream, 0, 0);
}

std::vector<uint8_t> pattern(size_t n, uint8_t seed) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint8_t(seed + i * 13 + (i >> 9));
  return v;
}

std::string next_event(int fd, int timeout_ms) {
  const Received r = receive(fd, 70000, timeout_ms);
  if (r.n == -2) return "NOTHING within " + std::to_string(timeout_ms) + " ms";
  if (r.n < 0) return std::string("RECV_ERROR ") + (strerrorname_np(r.err) ? strerrorname_np(r.err) : "?");
  if (r.n == 0) return "EOF";
  if (!r.notification()) return "DATA len=" + std::to_string(r.n);
  return describe_notification(r.data.data(), r.data.size(), Schedule{});
}

}  // namespace sctpmap::test
