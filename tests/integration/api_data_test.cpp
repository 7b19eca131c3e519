// SPDX-License-Identifier: MIT
// The data path as an SCTP program sees it, in one preloaded process: message
// size limit, non-blocking connect, readiness through poll/select/epoll,
// MSG_PEEK, and partial reads (Linux SCTP returns the first part of a message
// without MSG_EOR when the buffer is too small and the rest on the next call).
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "api_util.hpp"

namespace sctpmap::test {
namespace {

void expect_message(const Received& r, const std::vector<uint8_t>& want) {
  ASSERT_EQ(r.n, ssize_t(want.size())) << "err " << std::strerror(r.err);
  EXPECT_FALSE(r.flags & MSG_NOTIFICATION);
  EXPECT_TRUE(r.flags & MSG_EOR) << "a whole message carries MSG_EOR";
  EXPECT_TRUE(r.data == want) << "message bytes differ";
}

// With fragmentation off (SCTP_DISABLE_FRAGMENTS), 65519 bytes is the largest
// message the TCP mapping carries (65535-byte chunk minus the 16-byte DATA
// header); one more byte must fail whole.
API_TEST(EmsgsizeAbove65519WithoutFragments, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a, nullptr, [](int fd) {
    const int on = 1;
    ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_DISABLE_FRAGMENTS, &on, sizeof on), 0);
  }));
  const auto too_big = pattern(65520);
  errno = 0;
  EXPECT_EQ(send_message(a.client, too_big), -1);
  EXPECT_EQ(errno, EMSGSIZE);
  const auto biggest = pattern(65519, 7);
  EXPECT_EQ(send_message(a.client, biggest, 0, 42), 65519) << std::strerror(errno);
  const auto small = pattern(1, 9);
  EXPECT_EQ(send_message(a.client, small), 1) << "association must survive the EMSGSIZE";
  const Received r = receive(a.server);
  ASSERT_NO_FATAL_FAILURE(expect_message(r, biggest));
  EXPECT_TRUE(r.has_sinfo);
  EXPECT_EQ(r.sinfo.sinfo_ppid, 42u);
  ASSERT_NO_FATAL_FAILURE(expect_message(receive(a.server), small));
}

// A peer that speaks only the draft (here both ends: SCTPMAP_STRICT=1) offers
// no fragmentation: messages stop at one DATA chunk, 65519 bytes.
API_TEST(StrictDraftPeerStopsAt65519, 20) {
  setenv("SCTPMAP_STRICT", "1", 1);  // read once, at the first socket
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  ASSERT_EQ(send_message(a.client, pattern(100)), 100);  // COMM_UP has told the limit
  ASSERT_EQ(receive(a.server).n, 100);
  errno = 0;
  EXPECT_EQ(send_message(a.client, pattern(65520)), -1);
  EXPECT_EQ(errno, EMSGSIZE);
  EXPECT_EQ(send_message(a.client, pattern(65519, 3)), 65519) << std::strerror(errno);
  ASSERT_NO_FATAL_FAILURE(expect_message(receive(a.server), pattern(65519, 3)));
}

// Between sctpmap peers messages up to 4 MiB travel fragmented (B/E bits, our
// extension), bounded as Linux by SO_SNDBUF (doubled); a receiver with room
// reads each whole in one call, one with less room in pieces without MSG_EOR.
API_TEST(LargeMessagesFragmented, 60) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a, nullptr, [](int fd) {
    const int two_mib = 2 * 1024 * 1024;  // Linux doubles it: 4 MiB
    ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &two_mib, sizeof two_mib), 0);
  }));
  ASSERT_EQ(send_message(a.client, pattern(10)), 10);
  ASSERT_EQ(receive(a.server).n, 10);
  const size_t sizes[] = {65520, 2 * 65519 + 1, 300000, 1 << 20, 4 << 20};
  for (size_t n : sizes) {
    const auto msg = pattern(n, static_cast<uint8_t>(n));
    ASSERT_EQ(send_message(a.client, msg, 3, static_cast<uint32_t>(n)), int(n)) << n << ": " << std::strerror(errno);
    const Received r = receive(a.server, (5 << 20), 10000);
    ASSERT_EQ(r.n, ssize_t(n)) << "one recvmsg takes the whole message of " << n;
    EXPECT_TRUE(r.flags & MSG_EOR);
    EXPECT_EQ(r.sinfo.sinfo_ppid, uint32_t(n));
    EXPECT_EQ(r.sinfo.sinfo_stream, 3);
    EXPECT_TRUE(r.data == msg) << n << " bytes differ";
  }
  errno = 0;
  EXPECT_EQ(send_message(a.client, pattern((4 << 20) + 1)), -1) << "above 4 MiB";
  EXPECT_EQ(errno, EMSGSIZE);

  // A 1 MiB message into a 300000-byte buffer: pieces, MSG_EOR on the last.
  const auto mib = pattern(1 << 20, 77);
  ASSERT_EQ(send_message(a.client, mib, 0, 5), 1 << 20);
  std::vector<uint8_t> joined;
  int pieces = 0;
  for (;;) {
    const Received r = receive(a.server, 300000, 10000);
    ASSERT_GT(r.n, 0);
    EXPECT_EQ(r.sinfo.sinfo_ppid, 5u) << "every piece carries its SCTP_SNDRCV";
    joined.insert(joined.end(), r.data.begin(), r.data.end());
    ++pieces;
    if (r.flags & MSG_EOR) break;
    ASSERT_LT(joined.size(), mib.size()) << "no MSG_EOR at the end";
  }
  EXPECT_GE(pieces, 4);
  EXPECT_TRUE(joined == mib);

  // The default SO_SNDBUF (425984 once doubled) bounds a message, as on Linux.
  Assoc d;
  ASSERT_NO_FATAL_FAILURE(make_assoc(d));
  ASSERT_EQ(send_message(d.client, pattern(10)), 10);
  ASSERT_EQ(receive(d.server).n, 10);
  errno = 0;
  EXPECT_EQ(send_message(d.client, pattern(425985)), -1);
  EXPECT_EQ(errno, EMSGSIZE);
  EXPECT_EQ(send_message(d.client, pattern(425984, 1)), 425984) << std::strerror(errno);
  EXPECT_EQ(receive(d.server, 500000, 10000).n, 425984);
}

// SCTP_MAXSEG: Linux's bounds (0, or from what a 512-byte packet carries to
// a whole chunk; sctp_setsockopt_maxseg), the value read back, and messages
// cut at that size still arriving whole and intact (the cut itself is
// counted in the unit test FragLimits.MaxsegSetsTheFragmentSize).
API_TEST(MaxsegBoundsAndFragments, 30) {
  const int v4 = sctp_socket();
  const int v6 = socket(AF_INET6, SOCK_STREAM, IPPROTO_SCTP);
  ASSERT_GE(v6, 0);
  auto set = [](int fd, int v) {
    errno = 0;
    return setsockopt(fd, IPPROTO_SCTP, SCTP_MAXSEG, &v, sizeof v) == 0 ? 0 : errno;
  };
  auto get = [](int fd) {
    int v = -1;
    socklen_t len = sizeof v;
    return getsockopt(fd, IPPROTO_SCTP, SCTP_MAXSEG, &v, &len) == 0 ? v : -errno;
  };
  EXPECT_EQ(set(v4, 463), EINVAL);  // 512 - 20 (IPv4) - 12 - 16 = 464
  EXPECT_EQ(set(v4, 65520), EINVAL);
  EXPECT_EQ(set(v4, 464), 0);
  EXPECT_EQ(get(v4), 464);
  EXPECT_EQ(set(v4, 65519), 0);
  EXPECT_EQ(set(v4, 0), 0);
  EXPECT_EQ(get(v4), 65519);  // 0: the default, a whole chunk
  EXPECT_EQ(set(v6, 443), EINVAL);  // 512 - 40 (IPv6) - 12 - 16 = 444
  EXPECT_EQ(set(v6, 444), 0);
  close(v4);
  close(v6);

  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a, nullptr, [](int fd) {
    const int seg = 1000;
    ASSERT_EQ(setsockopt(fd, IPPROTO_SCTP, SCTP_MAXSEG, &seg, sizeof seg), 0);
  }));
  for (size_t n : {size_t{999}, size_t{1000}, size_t{1001}, size_t{100000}}) {
    const auto msg = pattern(n, static_cast<uint8_t>(n));
    ASSERT_EQ(send_message(a.client, msg, 1, static_cast<uint32_t>(n)), int(n)) << std::strerror(errno);
    std::vector<uint8_t> joined;
    for (;;) {  // one-to-one sockets hand out fragments as they arrive
      const Received r = receive(a.server, 200000, 5000);
      ASSERT_GT(r.n, 0) << n;
      EXPECT_EQ(r.sinfo.sinfo_ppid, uint32_t(n));
      joined.insert(joined.end(), r.data.begin(), r.data.end());
      if (r.flags & MSG_EOR) break;
    }
    EXPECT_TRUE(joined == msg) << n;
  }
}

API_TEST(NonBlockingConnect, 20) {
  const int listener = sctp_socket();
  const uint16_t port = listen_any(listener);
  const int client = sctp_socket(SOCK_NONBLOCK);
  EXPECT_TRUE(fcntl(client, F_GETFL) & O_NONBLOCK);
  sockaddr_in sa = loopback(port);
  errno = 0;
  EXPECT_EQ(connect(client, reinterpret_cast<sockaddr*>(&sa), sizeof sa), -1);
  EXPECT_EQ(errno, EINPROGRESS);
  pollfd p{client, POLLOUT, 0};
  ASSERT_EQ(poll(&p, 1, 3000), 1) << "connect did not complete";
  EXPECT_TRUE(p.revents & POLLOUT);
  EXPECT_FALSE(p.revents & (POLLERR | POLLHUP));
  int so_error = -1;
  socklen_t len = sizeof so_error;
  ASSERT_EQ(getsockopt(client, SOL_SOCKET, SO_ERROR, &so_error, &len), 0);
  EXPECT_EQ(so_error, 0);
  sockaddr_in peer{};
  len = sizeof peer;
  ASSERT_EQ(getpeername(client, reinterpret_cast<sockaddr*>(&peer), &len), 0) << std::strerror(errno);
  EXPECT_EQ(ntohs(peer.sin_port), port);
  const int server = accept_within(listener, 3000);
  ASSERT_GE(server, 0);
  const auto msg = pattern(300);
  EXPECT_EQ(send_message(client, msg), 300);
  expect_message(receive(server), msg);
  close(server);
  close(client);
  close(listener);
}

API_TEST(ConnectRefused, 20) {
  const uint16_t port = closed_port();
  sockaddr_in sa = loopback(port);
  const int blocking = sctp_socket();
  errno = 0;
  EXPECT_EQ(connect(blocking, reinterpret_cast<sockaddr*>(&sa), sizeof sa), -1);
  EXPECT_EQ(errno, ECONNREFUSED);
  close(blocking);

  const int nonblocking = sctp_socket(SOCK_NONBLOCK);
  errno = 0;
  EXPECT_EQ(connect(nonblocking, reinterpret_cast<sockaddr*>(&sa), sizeof sa), -1);
  EXPECT_EQ(errno, EINPROGRESS);
  pollfd p{nonblocking, POLLOUT, 0};
  ASSERT_EQ(poll(&p, 1, 3000), 1) << "failed connect must still wake poll";
  int so_error = 0;
  socklen_t len = sizeof so_error;
  ASSERT_EQ(getsockopt(nonblocking, SOL_SOCKET, SO_ERROR, &so_error, &len), 0);
  EXPECT_EQ(so_error, ECONNREFUSED);
  close(nonblocking);
}

API_TEST(PollSelectEpollReadiness, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  const int ep = epoll_create1(EPOLL_CLOEXEC);
  ASSERT_GE(ep, 0);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.fd = a.server;
  ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, a.server, &ev), 0) << std::strerror(errno);

  // Nothing sent yet: not readable by any of the three, recv would block.
  EXPECT_FALSE(readable_within(a.server, 100));
  fd_set rs;
  FD_ZERO(&rs);
  FD_SET(a.server, &rs);
  timeval zero{0, 0};
  EXPECT_EQ(select(a.server + 1, &rs, nullptr, nullptr, &zero), 0);
  epoll_event out[4];
  EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0);
  char byte;
  errno = 0;
  EXPECT_EQ(recv(a.server, &byte, 1, MSG_DONTWAIT), -1);
  EXPECT_EQ(errno, EAGAIN);
  pollfd w{a.client, POLLOUT, 0};
  EXPECT_EQ(poll(&w, 1, 1000), 1) << "an idle connected socket is writable";

  const auto msg = pattern(100);
  ASSERT_EQ(send_message(a.client, msg), 100);
  EXPECT_TRUE(readable_within(a.server, 3000));
  FD_ZERO(&rs);
  FD_SET(a.server, &rs);
  timeval three{3, 0};
  EXPECT_EQ(select(a.server + 1, &rs, nullptr, nullptr, &three), 1);
  EXPECT_TRUE(FD_ISSET(a.server, &rs));
  ASSERT_EQ(epoll_wait(ep, out, 4, 3000), 1);
  EXPECT_EQ(out[0].data.fd, a.server);
  EXPECT_TRUE(out[0].events & EPOLLIN);
  expect_message(receive(a.server), msg);
  // Read out: readiness must drop again (no phantom wakeups).
  EXPECT_FALSE(readable_within(a.server, 100));
  EXPECT_EQ(epoll_wait(ep, out, 4, 0), 0);

  // A listening socket is readable when an association waits for accept.
  epoll_event lev{};
  lev.events = EPOLLIN;
  lev.data.fd = a.listener;
  ASSERT_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, a.listener, &lev), 0);
  EXPECT_FALSE(readable_within(a.listener, 50));
  const int second = sctp_socket();
  sockaddr_in sa = loopback(a.port);
  ASSERT_EQ(connect(second, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
  ASSERT_EQ(epoll_wait(ep, out, 4, 3000), 1);
  EXPECT_EQ(out[0].data.fd, a.listener);
  const int accepted = accept_within(a.listener, 1000);
  EXPECT_GE(accepted, 0);
  close(accepted);
  close(second);
  close(ep);
}

API_TEST(MsgPeek, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  const std::vector<uint8_t> msg{'h', 'e', 'l', 'l', 'o', ' ', 'w', 'o', 'r', 'l', 'd'};
  ASSERT_EQ(send_message(a.client, msg, 0, 5), 11);
  // Peeking leaves the message in place, whole or in part.
  expect_message(receive(a.server, 70000, 3000, MSG_PEEK), msg);
  expect_message(receive(a.server, 70000, 3000, MSG_PEEK), msg);
  const Received part = receive(a.server, 4, 3000, MSG_PEEK);
  ASSERT_EQ(part.n, 4);
  EXPECT_FALSE(part.flags & MSG_EOR) << "a peeked part is not the end of the message";
  EXPECT_TRUE(std::equal(part.data.begin(), part.data.end(), msg.begin()));
  const Received r = receive(a.server);
  expect_message(r, msg);
  EXPECT_TRUE(r.has_sinfo);
  EXPECT_EQ(r.sinfo.sinfo_ppid, 5u);
  EXPECT_FALSE(readable_within(a.server, 100)) << "the message must be consumed exactly once";
}

API_TEST(PartialReadWithoutEor, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  const auto msg = pattern(1000, 3);
  const auto next = pattern(50, 4);
  ASSERT_EQ(send_message(a.client, msg, 0, 7), 1000);
  ASSERT_EQ(send_message(a.client, next, 0, 8), 50);

  const Received first = receive(a.server, 300);
  ASSERT_EQ(first.n, 300);
  EXPECT_FALSE(first.flags & MSG_EOR) << "first part of a longer message";
  // Linux SCTP keeps the rest for the next call and does not report MSG_TRUNC.
  EXPECT_FALSE(first.flags & MSG_TRUNC);
  EXPECT_TRUE(std::equal(first.data.begin(), first.data.end(), msg.begin()));
  EXPECT_TRUE(first.has_sinfo);
  EXPECT_EQ(first.sinfo.sinfo_ppid, 7u);
  EXPECT_TRUE(readable_within(a.server, 0)) << "the rest is still there";

  const Received rest = receive(a.server);
  ASSERT_EQ(rest.n, 700);
  EXPECT_TRUE(rest.flags & MSG_EOR);
  EXPECT_TRUE(std::equal(rest.data.begin(), rest.data.end(), msg.begin() + 300));
  EXPECT_TRUE(rest.has_sinfo);
  EXPECT_EQ(rest.sinfo.sinfo_ppid, 7u);

  const Received after = receive(a.server);
  expect_message(after, next);
  EXPECT_EQ(after.sinfo.sinfo_ppid, 8u) << "the boundary after a partial read must hold";

  // The largest message read in three pieces.
  const auto big = pattern(65519, 5);
  ASSERT_EQ(send_message(a.client, big), 65519);
  std::vector<uint8_t> joined;
  for (int piece = 0; piece < 3; ++piece) {
    const Received r = receive(a.server, 30000);
    ASSERT_GT(r.n, 0);
    EXPECT_EQ(bool(r.flags & MSG_EOR), piece == 2) << "piece " << piece;
    joined.insert(joined.end(), r.data.begin(), r.data.end());
  }
  EXPECT_EQ(joined.size(), 65519u);
  EXPECT_TRUE(joined == big);
}

// A burst of small messages reaches the application as bundles of several
// messages per pair message (pair_message.hpp). Each must still read as its
// own message with its own stream, PPID and MSG_EOR, whole, peeked or in
// pieces, and POLLIN must hold until the last one is read, then drop.
API_TEST(BurstReadsAsSeparateMessagesWithExactPollin, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  constexpr int kCount = 300;
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < kCount; ++i) {
    sent.push_back(pattern(1 + (i * 37) % 400, static_cast<uint8_t>(i)));
    ASSERT_EQ(send_message(a.client, sent.back(), static_cast<uint16_t>(i % 10), 1000 + i), int(sent.back().size()));
  }
  usleep(200 * 1000);  // let the engine queue the burst
  for (int i = 0; i < kCount; ++i) {
    ASSERT_TRUE(readable_within(a.server, 0)) << "POLLIN dropped with message " << i << " unread";
    const auto& want = sent[size_t(i)];
    if (i % 7 == 3) {  // a peek leaves the message in place
      const Received p = receive(a.server, 70000, 0, MSG_PEEK);
      ASSERT_EQ(p.n, ssize_t(want.size())) << "peek of message " << i;
      EXPECT_TRUE(p.data == want);
    }
    std::vector<uint8_t> got;
    Received r;
    const size_t piece = (i % 5 == 2 && want.size() > 3) ? want.size() / 3 : 70000;
    do {  // messages 2, 7, 12, ... in pieces, from the middle of a bundle
      r = receive(a.server, piece, 0);
      ASSERT_GT(r.n, 0) << "message " << i << ": " << std::strerror(r.err);
      ASSERT_TRUE(r.has_sinfo);
      EXPECT_EQ(r.sinfo.sinfo_stream, i % 10) << "message " << i;
      EXPECT_EQ(r.sinfo.sinfo_ppid, uint32_t(1000 + i)) << "message " << i;
      got.insert(got.end(), r.data.begin(), r.data.end());
    } while (!(r.flags & MSG_EOR) && got.size() < want.size());
    EXPECT_TRUE(r.flags & MSG_EOR) << "message " << i;
    ASSERT_TRUE(got == want) << "message " << i << " differs";
  }
  EXPECT_FALSE(readable_within(a.server, 100)) << "POLLIN set with nothing left to read";
}

// Sends go straight to TCP while the send buffer has room and through the
// pair once it is full (docs/ARCHITECTURE.md, "Direct sends"). Across both
// switches the order must hold, and a non-blocking sender must see EAGAIN
// and lose POLLOUT when the peer stops reading, and get POLLOUT back when it
// reads again.
API_TEST(BackpressureSwitchKeepsOrderAndPollout, 30) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  int flags = fcntl(a.client, F_GETFL);
  ASSERT_EQ(fcntl(a.client, F_SETFL, flags | O_NONBLOCK), 0);
  auto numbered = [](uint32_t seq) {
    std::vector<uint8_t> m = pattern(1000, static_cast<uint8_t>(seq));
    std::memcpy(m.data(), &seq, sizeof seq);
    return m;
  };
  uint32_t sent = 0;
  for (;;) {  // the server reads nothing: the un-ACKed queue, then the pair fill
    errno = 0;
    const int rc = send_message(a.client, numbered(sent), static_cast<uint16_t>(sent % 4));
    if (rc < 0) {
      ASSERT_EQ(errno, EAGAIN) << std::strerror(errno);
      break;
    }
    ASSERT_EQ(rc, 1000);
    ASSERT_LT(++sent, 100000u) << "the sender never felt backpressure";
  }
  pollfd w{a.client, POLLOUT, 0};
  EXPECT_EQ(poll(&w, 1, 200), 0) << "POLLOUT with a full send path";
  uint32_t got = 0;
  auto read_some = [&](uint32_t upto) {
    while (got < upto) {
      const Received r = receive(a.server, 70000, 3000);
      ASSERT_EQ(r.n, 1000) << "message " << got;
      uint32_t seq;
      std::memcpy(&seq, r.data.data(), sizeof seq);
      ASSERT_EQ(seq, got) << "order broken";
      ASSERT_TRUE(r.data == numbered(got));
      ++got;
    }
  };
  // Room comes back as the peer reads: POLLOUT must return before it has
  // read everything (when exactly depends on the pair's buffer size).
  bool writable = false;
  while (!writable && got < sent) {
    ASSERT_NO_FATAL_FAILURE(read_some(std::min(sent, got + 100)));
    writable = poll(&w, 1, 20) == 1;
  }
  EXPECT_TRUE(writable) << "no POLLOUT after the peer read all " << sent << " messages";
  EXPECT_LT(got, sent) << "POLLOUT only came back once everything was read";
  for (uint32_t i = 0; i < 200; ++i) {  // more behind what still waits in the pair
    ASSERT_EQ(send_message(a.client, numbered(sent), static_cast<uint16_t>(sent % 4)), 1000) << std::strerror(errno);
    ++sent;
  }
  ASSERT_NO_FATAL_FAILURE(read_some(sent));
  EXPECT_FALSE(readable_within(a.server, 100));
}

// SCTP_RECVNXTINFO: each recvmsg also tells what the next one would return,
// when it is already queued (SCTP_NXTINFO, first of the cmsgs as Linux
// writes them), and nothing when it is not.
API_TEST(NxtinfoTellsWhatComesNext, 20) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  const int on = 1;
  ASSERT_EQ(setsockopt(a.server, SOL_SCTP, SCTP_RECVNXTINFO, &on, sizeof on), 0);
  ASSERT_EQ(setsockopt(a.server, SOL_SCTP, SCTP_RECVRCVINFO, &on, sizeof on), 0);
  ASSERT_EQ(send_message(a.client, pattern(10), 0, htonl(1)), 10);
  ASSERT_EQ(send_message(a.client, pattern(20), 1, htonl(2)), 20);
  ASSERT_EQ(send_message(a.client, pattern(30), 2, htonl(3), SCTP_UNORDERED), 30);
  usleep(200 * 1000);  // all three queued
  struct Want {
    bool next;
    uint16_t sid;
    uint32_t ppid, len;
    uint16_t flags;
  };
  const Want wants[] = {{true, 1, htonl(2), 20, 0}, {true, 2, htonl(3), 30, SCTP_UNORDERED}, {false, 0, 0, 0, 0}};
  for (const Want& w : wants) {
    ASSERT_TRUE(readable_within(a.server, 3000));
    std::vector<uint8_t> buf(1000);
    iovec iov{buf.data(), buf.size()};
    alignas(cmsghdr) char control[512];
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = sizeof control;
    ASSERT_GT(recvmsg(a.server, &m, 0), 0) << std::strerror(errno);
    cmsghdr* first = CMSG_FIRSTHDR(&m);
    ASSERT_NE(first, nullptr);
    bool seen = false;
    for (cmsghdr* c = first; c; c = CMSG_NXTHDR(&m, c)) {
      if (c->cmsg_level != IPPROTO_SCTP || c->cmsg_type != SCTP_NXTINFO) continue;
      seen = true;
      EXPECT_EQ(c, first) << "NXTINFO comes first";
      sctp_nxtinfo n;
      std::memcpy(&n, CMSG_DATA(c), sizeof n);
      EXPECT_EQ(n.nxt_sid, w.sid);
      EXPECT_EQ(n.nxt_ppid, w.ppid);
      EXPECT_EQ(n.nxt_length, w.len);
      EXPECT_EQ(n.nxt_flags & SCTP_UNORDERED, w.flags);
    }
    EXPECT_EQ(seen, w.next) << "NXTINFO only when a next message is queued";
  }
}

}  // namespace
}  // namespace sctpmap::test
