// SPDX-License-Identifier: MIT
// sctp_peeloff keeps what the association had: messages it delivered to the
// one-to-many socket that the application has not read move to the peeled
// socket, in order and ahead of later ones, none left behind or doubled;
// the other associations' messages stay; so do its option values and event
// subscriptions (Linux: sctp_sock_migrate).
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <vector>

#include "api_util.hpp"

namespace sctpmap::test {
namespace {

constexpr uint32_t kFromA = 50, kFromB = 20;  // messages from each client

int client_to(uint16_t port) {
  const int c = sctp_socket();
  subscribe(c, Events{});
  sockaddr_in to = loopback(port);
  EXPECT_EQ(connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
  return c;
}

// PPIDs count up per client: A's from 1000, B's from 2000.
void send_burst(int fd, uint32_t first, uint32_t n) {
  for (uint32_t i = 0; i < n; ++i) ASSERT_EQ(send_message(fd, pattern(20 + i % 50, uint8_t(i)), 0, first + i), int(20 + i % 50));
}

// `fd` gets the next message in its order: ppid `want`, intact.
void expect_next(int fd, uint32_t want, sctp_assoc_t assoc) {
  const Received r = receive(fd);
  ASSERT_GT(r.n, 0) << "expected ppid " << want;
  ASSERT_FALSE(r.notification()) << "expected ppid " << want;
  EXPECT_EQ(r.sinfo.sinfo_ppid, want);
  EXPECT_EQ(r.sinfo.sinfo_assoc_id, assoc);
  const uint32_t i = want % 1000;
  EXPECT_EQ(r.data, pattern(20 + i % 50, uint8_t(i))) << "ppid " << want;
}

// Reads `count` messages from the one-to-many socket: the next PPID of each
// association goes up by one.
void read_some(int fd, size_t count, std::map<sctp_assoc_t, uint32_t>* next) {
  for (size_t k = 0; k < count; ++k) {
    const Received r = receive(fd);
    ASSERT_GT(r.n, 0);
    ASSERT_FALSE(r.notification());
    uint32_t& n = (*next)[r.sinfo.sinfo_assoc_id];
    if (n == 0) n = r.sinfo.sinfo_ppid / 1000 * 1000;
    EXPECT_EQ(r.sinfo.sinfo_ppid, n) << "in order, nothing lost";
    ++n;
  }
}

// `skip` messages read on the one-to-many socket before the peeloff.
void peeloff_keeps_unread(size_t skip) {
  const int server = many_socket();
  subscribe(server, Events{});  // data_io only: the queue holds data alone
  const uint16_t port = listen_any(server);
  const int a = client_to(port);
  for (int i = 0; i < 300 && assoc_ids(server).size() < 1; ++i) usleep(10000);
  const int b = client_to(port);
  for (int i = 0; i < 300 && assoc_ids(server).size() < 2; ++i) usleep(10000);
  const auto ids = assoc_ids(server);
  ASSERT_EQ(ids.size(), 2u);
  const sctp_assoc_t ida = ids[0], idb = ids[1];
  sctp_assoc_value ctx{ida, 4242};
  ASSERT_EQ(setsockopt(server, SOL_SCTP, SCTP_CONTEXT, &ctx, sizeof ctx), 0) << std::strerror(errno);
  sctp_event ev{};
  ev.se_assoc_id = ida;
  ev.se_type = SCTP_SHUTDOWN_EVENT;
  ev.se_on = 1;
  ASSERT_EQ(setsockopt(server, SOL_SCTP, SCTP_EVENT, &ev, sizeof ev), 0) << std::strerror(errno);

  ASSERT_NO_FATAL_FAILURE(send_burst(a, 1000, kFromA));
  ASSERT_NO_FATAL_FAILURE(send_burst(b, 2000, kFromB));
  // Give the server's engine time to queue both bursts on the socket; the
  // checks below hold however much of them it had queued.
  ASSERT_TRUE(readable_within(server, 3000));
  usleep(300000);
  std::map<sctp_assoc_t, uint32_t> next;
  ASSERT_NO_FATAL_FAILURE(read_some(server, skip, &next));

  const int peeled = sctp_peeloff(server, ida);
  ASSERT_GE(peeled, 0) << std::strerror(errno);
  const uint32_t from_a = next[ida] ? next[ida] : 1000;
  for (uint32_t p = from_a; p < 1000 + kFromA; ++p) ASSERT_NO_FATAL_FAILURE(expect_next(peeled, p, ida));
  // Later messages follow the moved ones.
  ASSERT_EQ(send_message(a, pattern(7), 0, 1999), 7);
  Received r = receive(peeled);
  EXPECT_EQ(r.sinfo.sinfo_ppid, 1999u);
  EXPECT_EQ(r.sinfo.sinfo_context, 4242u) << "the association's SCTP_CONTEXT moved along";
  const uint32_t from_b = next[idb] ? next[idb] : 2000;
  for (uint32_t p = from_b; p < 2000 + kFromB; ++p) ASSERT_NO_FATAL_FAILURE(expect_next(server, p, idb));
  EXPECT_FALSE(readable_within(server, 200)) << "nothing of the peeled association stayed behind";
  EXPECT_FALSE(readable_within(peeled, 100)) << "nothing doubled";

  sctp_assoc_value got{0, 0};
  socklen_t len = sizeof got;
  ASSERT_EQ(getsockopt(peeled, SOL_SCTP, SCTP_CONTEXT, &got, &len), 0);
  EXPECT_EQ(got.assoc_value, 4242u);
  close(a);  // its SHUTDOWN_EVENT subscription moved along too
  EXPECT_EQ(next_event(peeled).rfind("EVENT SHUTDOWN_EVENT", 0), 0u);
  close(peeled);
  close(b);
  close(server);
}

}  // namespace

API_TEST(PeeloffMovesUnreadMessages, 30) { peeloff_keeps_unread(0); }

// Part way through what was queued, typically inside a bundle of several
// messages (pair_message.hpp): the rest of it still moves whole.
API_TEST(PeeloffAfterSomeReadMovesTheRest, 30) { peeloff_keeps_unread(7); }

}  // namespace sctpmap::test
