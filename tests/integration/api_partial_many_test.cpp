// SPDX-License-Identifier: MIT
// Partial delivery on a one-to-many socket, as Linux SCTP does it
// (net/sctp/ulpqueue.c): SCTP_PARTIAL_DELIVERY_POINT decides when a large
// message's first part reaches the application before its end has even been
// sent; SCTP_FRAGMENT_INTERLEAVE 0 holds every other association's data and
// notifications until that message ends (the pd_lobby), 1 lets them through
// between its pieces; SCTP_PARTIAL_DELIVERY_ABORTED ends a message cut off
// by a reset, before COMM_LOST, and releases what waited.
//
// The senders are plain TCP sockets in this process (the preload leaves
// them alone) writing the wire format by hand (docs/PROTOCOL.md 3, 7, 15),
// so the test decides exactly when each fragment is on its way.
#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <thread>

#include "api_util.hpp"
#include "harness.hpp"

namespace sctpmap::test {
namespace {

constexpr size_t kFragment = 65519;   // user data of one full DATA chunk, every field present
constexpr uint32_t kPoint = 100000;   // between one and two fragments
constexpr size_t kReadBuffer = 512 * 1024;

void send_all(int fd, const std::vector<uint8_t>& bytes) {
  ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), ssize_t(bytes.size())) << std::strerror(errno);
}

// A peer that speaks the wire format itself: INIT with C, then CAPABILITY
// offering fragmentation (features 0x3, max message 4 MiB), then DATA
// fragments when the test says. All on stream 1, PPID 7.
struct RawPeer {
  int fd = -1;
  uint32_t tsn = 0;
  uint16_t ssn = 0;
  std::vector<uint8_t> sent;  // the user data of the message so far

  explicit RawPeer(uint16_t port) {
    fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in sa = loopback(port);
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
    send_all(fd, hex("01 80 00 04  80 00 00 1c  0001 0008 000a 000a  0002 0008 0000 0003  0003 0008 0040 0000"));
  }
  ~RawPeer() {
    if (fd >= 0) close(fd);
  }
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  // One DATA chunk: flags 0x02 B, 0x00 middle, 0x01 E, 0x03 whole.
  void data(uint8_t flags, size_t len) {
    const std::vector<uint8_t> payload = pattern(len, uint8_t(sent.size() + len));
    sent.insert(sent.end(), payload.begin(), payload.end());
    const size_t length = 16 + len;
    std::vector<uint8_t> c = {0, flags, uint8_t(length >> 8), uint8_t(length)};
    for (int shift = 24; shift >= 0; shift -= 8) c.push_back(uint8_t(tsn >> shift));
    ++tsn;
    const std::vector<uint8_t> fields = {0, 1, uint8_t(ssn >> 8), uint8_t(ssn), 0, 0, 0, 7};  // SID 1, PPID 7
    c.insert(c.end(), fields.begin(), fields.end());
    if (flags & 0x01) ++ssn;  // the message's end: the next one is the stream's next
    c.insert(c.end(), payload.begin(), payload.end());
    c.resize((c.size() + 3) & ~size_t{3});
    send_all(fd, c);
  }
  void reset() {
    linger lg{1, 0};
    ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
    close(fd);
    fd = -1;
  }
};

void enable(int fd, uint16_t type) {
  sctp_event e{};
  e.se_type = type;
  e.se_on = 1;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_EVENT, &e, sizeof e), 0) << std::strerror(errno);
}

// A listening one-to-many socket with data_io, association and partial
// delivery events, SCTP_PARTIAL_DELIVERY_POINT `point` and
// SCTP_FRAGMENT_INTERLEAVE `interleave`.
int many_listener(uint32_t point, int interleave, uint16_t* port) {
  const int fd = many_socket();
  subscribe(fd, Events{true, false, false});
  enable(fd, SCTP_PARTIAL_DELIVERY_EVENT);
  EXPECT_EQ(setsockopt(fd, SOL_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &point, sizeof point), 0) << std::strerror(errno);
  EXPECT_EQ(setsockopt(fd, SOL_SCTP, SCTP_FRAGMENT_INTERLEAVE, &interleave, sizeof interleave), 0);
  *port = listen_any(fd);
  return fd;
}

// The next thing read is COMM_UP; returns its association id.
sctp_assoc_t comm_up(int fd) {
  const Received r = receive(fd, 4096);
  EXPECT_TRUE(r.notification()) << "n=" << r.n;
  if (!r.notification()) return 0;
  sctp_assoc_change ac;
  std::memcpy(&ac, r.data.data(), sizeof ac);
  EXPECT_EQ(ac.sac_type, SCTP_ASSOC_CHANGE);
  EXPECT_EQ(ac.sac_state, SCTP_COMM_UP);
  return ac.sac_assoc_id;
}

// Data of association `id`: `len` bytes equal to `expect` from `at`, with
// or without MSG_EOR.
void expect_data(const Received& r, sctp_assoc_t id, const std::vector<uint8_t>& expect, size_t at, size_t len,
                 bool eor) {
  ASSERT_EQ(r.n, ssize_t(len)) << "err=" << r.err << " flags=" << r.flags;
  EXPECT_FALSE(r.flags & MSG_NOTIFICATION);
  EXPECT_EQ(bool(r.flags & MSG_EOR), eor);
  ASSERT_TRUE(r.has_sinfo);
  EXPECT_EQ(r.sinfo.sinfo_assoc_id, id);
  ASSERT_LE(at + len, expect.size());
  EXPECT_TRUE(std::equal(r.data.begin(), r.data.end(), expect.begin() + long(at)));
}

// Linux (sctp_setsockopt_fragment_interleave, _partial_delivery_point):
// exactly an int / a u32, EINVAL otherwise; interleave 2 reads back as 1.
API_TEST(PartialOptionsTakeLinuxsForms, 20) {
  const int fd = many_socket();
  const int two = 2;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_FRAGMENT_INTERLEAVE, &two, sizeof two), 0) << std::strerror(errno);
  int v = -1;
  socklen_t len = sizeof v;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_FRAGMENT_INTERLEAVE, &v, &len), 0);
  EXPECT_EQ(v, 1);
  sctp_assoc_value av{0, 0};
  errno = 0;
  EXPECT_EQ(setsockopt(fd, SOL_SCTP, SCTP_FRAGMENT_INTERLEAVE, &av, sizeof av), -1);
  EXPECT_EQ(errno, EINVAL);
  av.assoc_value = 1000;
  errno = 0;
  EXPECT_EQ(setsockopt(fd, SOL_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &av, sizeof av), -1);
  EXPECT_EQ(errno, EINVAL);
  const uint32_t point = 1000;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &point, sizeof point), 0);
  uint32_t got = 0;
  len = sizeof got;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &got, &len), 0);
  EXPECT_EQ(got, 1000u);
  close(fd);
}

API_TEST(PartialPointZeroGivesWholeMessagesOnly, 30) {
  uint16_t port = 0;
  const int srv = many_listener(0, 0, &port);
  RawPeer a(port);
  const sctp_assoc_t id = comm_up(srv);
  a.data(0x02, kFragment);
  a.data(0x00, kFragment);
  EXPECT_FALSE(readable_within(srv, 300));  // no point: nothing before the end
  a.data(0x01, 1000);
  expect_data(receive(srv, kReadBuffer), id, a.sent, 0, 2 * kFragment + 1000, true);
  close(srv);
}

API_TEST(PartialPointGivesPiecesWithoutEorBeforeTheEndIsSent, 30) {
  uint16_t port = 0;
  const int srv = many_listener(kPoint, 0, &port);
  uint32_t point = 0;
  socklen_t len = sizeof point;
  ASSERT_EQ(getsockopt(srv, SOL_SCTP, SCTP_PARTIAL_DELIVERY_POINT, &point, &len), 0);
  EXPECT_EQ(point, kPoint);
  RawPeer a(port);
  const sctp_assoc_t id = comm_up(srv);
  a.data(0x02, kFragment);
  EXPECT_FALSE(readable_within(srv, 300));  // 65519 bytes in: below the point
  a.data(0x00, kFragment);
  // The point reached: what is in, at once, without MSG_EOR; the read
  // does not wait for a rest that has not been sent.
  expect_data(receive(srv, kReadBuffer), id, a.sent, 0, 2 * kFragment, false);
  EXPECT_FALSE(readable_within(srv, 300));
  a.data(0x00, 5000);  // from now on each fragment as it comes
  expect_data(receive(srv, kReadBuffer), id, a.sent, 2 * kFragment, 5000, false);
  a.data(0x01, 1000);
  expect_data(receive(srv, kReadBuffer), id, a.sent, 2 * kFragment + 5000, 1000, true);
  // A small buffer reads a piece in parts, MSG_EOR only on the very end.
  a.sent.clear();
  a.data(0x02, kFragment);
  a.data(0x01, 10);
  const Received first = receive(srv, 1000);
  expect_data(first, id, a.sent, 0, 1000, false);
  size_t got = 1000;
  while (got < a.sent.size()) {
    const Received r = receive(srv, 40000);
    ASSERT_GT(r.n, 0);
    got += size_t(r.n);
    EXPECT_EQ(bool(r.flags & MSG_EOR), got == a.sent.size());
  }
  EXPECT_EQ(got, a.sent.size());
  close(srv);
}

// SCTP_FRAGMENT_INTERLEAVE 0: another association's message, and the
// COMM_UP of one that starts meanwhile, wait for the end of the message in
// partial delivery, then follow in the order they came.
API_TEST(PartialInterleaveZeroHoldsOthersUntilTheEnd, 30) {
  uint16_t port = 0;
  const int srv = many_listener(kPoint, 0, &port);
  int interleave = -1;
  socklen_t len = sizeof interleave;
  ASSERT_EQ(getsockopt(srv, SOL_SCTP, SCTP_FRAGMENT_INTERLEAVE, &interleave, &len), 0);
  EXPECT_EQ(interleave, 0);
  RawPeer a(port);
  const sctp_assoc_t id_a = comm_up(srv);
  RawPeer b(port);
  const sctp_assoc_t id_b = comm_up(srv);
  a.data(0x02, kFragment);
  a.data(0x00, kFragment);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 0, 2 * kFragment, false);
  b.data(0x03, 300);
  EXPECT_FALSE(readable_within(srv, 300));  // held in the lobby
  RawPeer c(port);
  EXPECT_FALSE(readable_within(srv, 300));  // its COMM_UP too
  a.data(0x01, 1000);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 2 * kFragment, 1000, true);
  expect_data(receive(srv, kReadBuffer), id_b, b.sent, 0, 300, true);
  const sctp_assoc_t id_c = comm_up(srv);
  EXPECT_NE(id_c, id_a);
  EXPECT_NE(id_c, id_b);
  close(srv);
}

// SCTP_FRAGMENT_INTERLEAVE 0: one association at a time in partial
// delivery; another whose message reaches the point meanwhile waits, and
// its pieces come once the first message has ended.
API_TEST(PartialInterleaveZeroOneAtATime, 30) {
  uint16_t port = 0;
  const int srv = many_listener(kPoint, 0, &port);
  RawPeer a(port);
  const sctp_assoc_t id_a = comm_up(srv);
  RawPeer b(port);
  const sctp_assoc_t id_b = comm_up(srv);
  a.data(0x02, kFragment);
  a.data(0x00, kFragment);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 0, 2 * kFragment, false);
  b.data(0x02, kFragment);
  b.data(0x00, kFragment);
  EXPECT_FALSE(readable_within(srv, 300));
  a.data(0x01, 900);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 2 * kFragment, 900, true);
  expect_data(receive(srv, kReadBuffer), id_b, b.sent, 0, 2 * kFragment, false);
  a.data(0x03, 50);  // now A waits for B's message to end
  EXPECT_FALSE(readable_within(srv, 300));
  b.data(0x01, 700);
  expect_data(receive(srv, kReadBuffer), id_b, b.sent, 2 * kFragment, 700, true);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 2 * kFragment + 900, 50, true);
  close(srv);
}

// SCTP_FRAGMENT_INTERLEAVE 1: another association's message comes between
// the pieces, told apart by sinfo_assoc_id; a read never joins the two.
API_TEST(PartialInterleaveOneLetsOthersThrough, 30) {
  uint16_t port = 0;
  const int srv = many_listener(kPoint, 1, &port);
  int interleave = -1;
  socklen_t len = sizeof interleave;
  ASSERT_EQ(getsockopt(srv, SOL_SCTP, SCTP_FRAGMENT_INTERLEAVE, &interleave, &len), 0);
  EXPECT_EQ(interleave, 1);
  RawPeer a(port);
  const sctp_assoc_t id_a = comm_up(srv);
  RawPeer b(port);
  const sctp_assoc_t id_b = comm_up(srv);
  a.data(0x02, kFragment);
  a.data(0x00, kFragment);
  ASSERT_TRUE(readable_within(srv, 3000));
  b.data(0x03, 300);  // behind A's first piece in the queue
  usleep(200 * 1000);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 0, 2 * kFragment, false);
  expect_data(receive(srv, kReadBuffer), id_b, b.sent, 0, 300, true);
  b.data(0x03, 200);  // and again, with A's message still open
  expect_data(receive(srv, kReadBuffer), id_b, b.sent, 300, 200, true);
  a.data(0x01, 1000);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 2 * kFragment, 1000, true);
  close(srv);
}

// SCTP_FRAGMENT_INTERLEAVE 1: two associations in partial delivery at
// once, their pieces in the order they came, each read one association's.
API_TEST(PartialInterleaveOneTwoMessagesAtOnce, 30) {
  uint16_t port = 0;
  const int srv = many_listener(kPoint, 1, &port);
  RawPeer a(port);
  const sctp_assoc_t id_a = comm_up(srv);
  RawPeer b(port);
  const sctp_assoc_t id_b = comm_up(srv);
  a.data(0x02, kFragment);
  a.data(0x00, kFragment);
  ASSERT_TRUE(readable_within(srv, 3000));
  b.data(0x02, kFragment);
  b.data(0x00, kFragment);
  usleep(200 * 1000);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 0, 2 * kFragment, false);
  expect_data(receive(srv, kReadBuffer), id_b, b.sent, 0, 2 * kFragment, false);
  b.data(0x01, 700);
  expect_data(receive(srv, kReadBuffer), id_b, b.sent, 2 * kFragment, 700, true);
  a.data(0x01, 900);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 2 * kFragment, 900, true);
  close(srv);
}

// A reset in the middle of a message in partial delivery: its pieces, then
// SCTP_PARTIAL_DELIVERY_ABORTED (Linux's layout), then COMM_LOST; what
// waited in the lobby meanwhile is not lost.
API_TEST(PartialAbortedThenCommLostAndTheLobbyFollows, 30) {
  uint16_t port = 0;
  const int srv = many_listener(kPoint, 0, &port);
  RawPeer a(port);
  const sctp_assoc_t id_a = comm_up(srv);
  RawPeer b(port);
  const sctp_assoc_t id_b = comm_up(srv);
  a.data(0x02, kFragment);
  a.data(0x00, kFragment);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 0, 2 * kFragment, false);
  b.data(0x03, 300);
  EXPECT_FALSE(readable_within(srv, 300));
  a.reset();
  const Received r = receive(srv, kReadBuffer);
  ASSERT_TRUE(r.notification()) << "n=" << r.n;
  ASSERT_EQ(r.data.size(), sizeof(sctp_pdapi_event));
  sctp_pdapi_event pd;
  std::memcpy(&pd, r.data.data(), sizeof pd);
  EXPECT_EQ(pd.pdapi_type, SCTP_PARTIAL_DELIVERY_EVENT);
  EXPECT_EQ(pd.pdapi_length, sizeof pd);
  EXPECT_EQ(pd.pdapi_indication, uint32_t(SCTP_PARTIAL_DELIVERY_ABORTED));
  EXPECT_EQ(pd.pdapi_stream, 1u);
  EXPECT_EQ(pd.pdapi_seq, 0u);
  EXPECT_EQ(pd.pdapi_assoc_id, id_a);
  // Then, as Linux, what waited in the lobby, then A's COMM_LOST.
  expect_data(receive(srv, kReadBuffer), id_b, b.sent, 0, 300, true);
  const Received lost = receive(srv, kReadBuffer);
  ASSERT_TRUE(lost.notification()) << "n=" << lost.n;
  sctp_assoc_change ac;
  std::memcpy(&ac, lost.data.data(), sizeof ac);
  EXPECT_EQ(ac.sac_type, SCTP_ASSOC_CHANGE);
  EXPECT_EQ(ac.sac_state, SCTP_COMM_LOST);
  EXPECT_EQ(ac.sac_assoc_id, id_a);
  // B goes on as before.
  b.data(0x03, 100);
  expect_data(receive(srv, kReadBuffer), id_b, b.sent, 300, 100, true);
  close(srv);
}

// The association in partial delivery posts its own notifications to the
// lobby too (Linux's sctp_ulpq_tail_event): a REMOTE_ERROR that arrives
// between two fragments comes after the message's end, not between its
// pieces, whatever SCTP_FRAGMENT_INTERLEAVE says.
API_TEST(PartialOwnNotificationsFollowTheMessage, 30) {
  for (int interleave : {0, 1}) {
    SCOPED_TRACE(interleave);
    uint16_t port = 0;
    const int srv = many_listener(kPoint, interleave, &port);
    enable(srv, SCTP_REMOTE_ERROR);
    RawPeer a(port);
    const sctp_assoc_t id = comm_up(srv);
    a.data(0x02, kFragment);
    a.data(0x00, kFragment);
    expect_data(receive(srv, kReadBuffer), id, a.sent, 0, 2 * kFragment, false);
    send_all(a.fd, hex("82 00 00 0c  0001 0008 0000 0000"));  // ERROR: one cause, Invalid Stream Identifier
    EXPECT_FALSE(readable_within(srv, 300));
    a.data(0x01, 1000);
    expect_data(receive(srv, kReadBuffer), id, a.sent, 2 * kFragment, 1000, true);
    EXPECT_EQ(next_event(srv).rfind("EVENT REMOTE_ERROR", 0), 0u);
    close(srv);
  }
}

// sctp_peeloff of the association in partial delivery: the rest of its
// message goes to the new socket, and the associations that waited on the
// old one are let through at once.
API_TEST(PartialPeeloffOfTheOwnerReleasesTheOthers, 30) {
  uint16_t port = 0;
  const int srv = many_listener(kPoint, 0, &port);
  RawPeer a(port);
  const sctp_assoc_t id_a = comm_up(srv);
  RawPeer b(port);
  const sctp_assoc_t id_b = comm_up(srv);
  a.data(0x02, kFragment);
  a.data(0x00, kFragment);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 0, 2 * kFragment, false);
  b.data(0x03, 300);
  EXPECT_FALSE(readable_within(srv, 300));
  const int peeled = sctp_peeloff(srv, id_a);
  ASSERT_GE(peeled, 0) << std::strerror(errno);
  expect_data(receive(srv, kReadBuffer), id_b, b.sent, 0, 300, true);
  a.data(0x01, 1000);
  const Received rest = receive(peeled, kReadBuffer);
  ASSERT_EQ(rest.n, 1000) << "err=" << rest.err;
  EXPECT_TRUE(rest.flags & MSG_EOR);
  EXPECT_TRUE(std::equal(rest.data.begin(), rest.data.end(), a.sent.begin() + long(2 * kFragment)));
  close(peeled);
  close(srv);
}

// sctp_peeloff of an association that waits for another's partial
// delivery: what it held goes to the new socket at once (Linux's
// sctp_sock_migrate moves its events out of the lobby).
API_TEST(PartialPeeloffOfAWaitingAssociation, 30) {
  uint16_t port = 0;
  const int srv = many_listener(kPoint, 0, &port);
  RawPeer a(port);
  const sctp_assoc_t id_a = comm_up(srv);
  RawPeer b(port);
  const sctp_assoc_t id_b = comm_up(srv);
  a.data(0x02, kFragment);
  a.data(0x00, kFragment);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 0, 2 * kFragment, false);
  b.data(0x03, 300);
  EXPECT_FALSE(readable_within(srv, 300));
  const int peeled = sctp_peeloff(srv, id_b);
  ASSERT_GE(peeled, 0) << std::strerror(errno);
  const Received held = receive(peeled, kReadBuffer);
  ASSERT_EQ(held.n, 300) << "err=" << held.err;
  EXPECT_TRUE(held.flags & MSG_EOR);
  EXPECT_EQ(held.data, b.sent);
  EXPECT_FALSE(readable_within(srv, 200));  // A's message is still open
  a.data(0x01, 1000);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 2 * kFragment, 1000, true);
  close(peeled);
  close(srv);
}

// Whatever is waiting on the gate, closing the socket (SO_LINGER {1, 0}:
// abort) ends every association at once: nothing stays stuck behind it.
API_TEST(PartialCloseWhileOthersWaitAbortsAll, 30) {
  uint16_t port = 0;
  const int srv = many_listener(kPoint, 0, &port);
  RawPeer a(port);
  const sctp_assoc_t id_a = comm_up(srv);
  RawPeer b(port);
  comm_up(srv);
  a.data(0x02, kFragment);
  a.data(0x00, kFragment);
  expect_data(receive(srv, kReadBuffer), id_a, a.sent, 0, 2 * kFragment, false);
  b.data(0x03, 300);
  EXPECT_FALSE(readable_within(srv, 300));
  linger lg{1, 0};
  ASSERT_EQ(setsockopt(srv, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
  close(srv);
  for (RawPeer* p : {&a, &b}) {
    // Its INIT and CAPABILITY, then the reset.
    std::vector<uint8_t> buf(4096);
    ssize_t n = 0;
    for (int i = 0; i < 100; ++i) {
      pollfd pf{p->fd, POLLIN, 0};
      ASSERT_EQ(poll(&pf, 1, 3000), 1) << "no reset within 3 s";
      n = recv(p->fd, buf.data(), buf.size(), 0);
      if (n <= 0) break;
    }
    EXPECT_EQ(n, -1);
    EXPECT_EQ(errno, ECONNRESET);
  }
}

// sctpmap on both ends, under pressure: a 1 MiB message from one sender
// and 200 small ones from another, read through a small buffer, so the
// shared pair fills and Conns wait in their backlogs as well as at the
// gate. With SCTP_FRAGMENT_INTERLEAVE 0 the large message arrives in one
// run (nothing of the other association between its first piece and its
// MSG_EOR), and everything arrives, nothing twice, nothing stuck. (The
// large message reaches the receiver at once here, so this checks that
// nothing deadlocks more than it checks the gate, which the raw-peer tests
// above do.)
API_TEST(PartialLargeAndSmallMessagesUnderPressure, 60) {
  uint16_t port = 0;
  const int srv = many_listener(64 * 1024, 0, &port);
  const std::vector<uint8_t> large = pattern(1 << 20, 5);
  std::atomic<bool> large_seen{false};
  std::thread senders([&] {
    const int big = sctp_socket();
    const int buf = 4 << 20;
    ASSERT_EQ(setsockopt(big, SOL_SOCKET, SO_SNDBUF, &buf, sizeof buf), 0);
    const int small = sctp_socket();
    sockaddr_in to = loopback(port);
    ASSERT_EQ(connect(big, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
    ASSERT_EQ(connect(small, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
    for (int i = 0; i < 100; ++i) ASSERT_EQ(send_message(small, pattern(100, uint8_t(i))), 100);
    EXPECT_EQ(send_message(big, large), int(large.size())) << std::strerror(errno);
    // The rest while the reader is inside the large message.
    for (int i = 0; i < 5000 && !large_seen.load(); ++i) usleep(1000);
    for (int i = 100; i < 200; ++i) ASSERT_EQ(send_message(small, pattern(100, uint8_t(i))), 100);
    usleep(500 * 1000);  // the large message ACKed before close: no abort on unread data
    close(big);
    close(small);
  });
  std::vector<uint8_t> got_large;
  sctp_assoc_t large_id = 0;
  int small_count = 0;
  bool large_open = false;
  while (small_count < 200 || got_large.size() < large.size()) {
    const Received r = receive(srv, 8192, 10000);
    ASSERT_GT(r.n, 0) << "small=" << small_count << " large=" << got_large.size();
    if (r.notification()) continue;  // COMM_UP, and the ends once the senders close
    if (r.sinfo.sinfo_ppid == 0 && r.n == 100 && !large_open && (large_id == 0 || r.sinfo.sinfo_assoc_id != large_id)) {
      EXPECT_TRUE(r.flags & MSG_EOR);
      EXPECT_EQ(r.data, pattern(100, uint8_t(small_count)));
      ++small_count;
      continue;
    }
    if (large_id == 0) large_id = r.sinfo.sinfo_assoc_id;
    ASSERT_EQ(r.sinfo.sinfo_assoc_id, large_id) << "another association inside the large message";
    got_large.insert(got_large.end(), r.data.begin(), r.data.end());
    large_open = !(r.flags & MSG_EOR);
    large_seen.store(true);
    if (large_open) usleep(1000);  // a slow reader: the other association's messages arrive meanwhile
    EXPECT_EQ(large_open, got_large.size() < large.size());
  }
  EXPECT_EQ(got_large, large);
  senders.join();
  close(srv);
}

}  // namespace
}  // namespace sctpmap::test
