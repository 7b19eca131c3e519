// SPDX-License-Identifier: MIT
// PR-SCTP time-to-live as an SCTP program sees it. Over TCP a message is
// delivered once written, so the rule is: a message with a TTL that is still
// unwritten when it expires comes back as SEND_FAILED / SCTP_DATA_UNSENT
// with its bytes, and the peer never sees it. Here the receiver stops
// reading so the sender's window fills, messages with a 50 ms TTL wait
// behind it among messages without one, and after the receiver resumes the
// two sides' accounts must match exactly. Also the options and their errno.
#include <arpa/inet.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <set>

#include "api_util.hpp"

namespace sctpmap::test {
namespace {

constexpr int kCount = 40;
constexpr uint32_t kEnd = 0xE0D;
constexpr uint32_t kShortTtl = 50;     // ms: expires while the window is closed
constexpr uint32_t kLongTtl = 20000;   // ms: outlives the test
constexpr size_t kSize = 1000;
// tcp_full: messages this large until the sender's pair is full, which
// takes TCP's buffers filling first (the un-ACKed limit is set far above).
constexpr size_t kLargeSize = 65000;
constexpr int kMaxLarge = 600;

struct Run {
  bool new_style = false;  // SCTP_SEND_FAILED_EVENT rather than SCTP_SEND_FAILED
  bool pr_off = false;     // SCTP_PR_SUPPORTED 0
  bool many = false;       // a one-to-many sender
  bool tcp_full = false;   // messages wait behind a full TCP (the tx buffer), not the un-ACKed limit
  size_t size() const { return tcp_full ? kLargeSize : kSize; }
};

enum class Kind { kPlain, kSendmsgTtl, kSendvTtl, kLongTtl };

Kind kind_of(int i) {
  if (i == kCount - 1) return Kind::kLongTtl;
  return i % 3 == 0 ? Kind::kPlain : i % 3 == 1 ? Kind::kSendmsgTtl : Kind::kSendvTtl;
}

bool expires(int i) { return kind_of(i) == Kind::kSendmsgTtl || kind_of(i) == Kind::kSendvTtl; }

// sctp_sendmsg's timetolive (no policy: TTL, as Linux); on a one-to-many
// socket (`id` set) sctp_send's sinfo_timetolive, which names the association.
int send_ttl(int fd, sctp_assoc_t id, const std::vector<uint8_t>& data, uint32_t ppid, uint32_t ttl) {
  if (id == 0) return sctp_sendmsg(fd, data.data(), data.size(), nullptr, 0, ppid, 0, 0, ttl, 0);
  sctp_sndrcvinfo info{};
  info.sinfo_ppid = ppid;
  info.sinfo_timetolive = ttl;
  info.sinfo_assoc_id = id;
  return sctp_send(fd, data.data(), data.size(), &info, 0);
}

// Message i: PPID i, 1000 bytes of pattern seed i; its TTL by kind, through
// send_ttl or sctp_sendv's SCTP_PRINFO (SCTP_PR_SCTP_TTL).
int send_one(int fd, sctp_assoc_t id, int i, size_t size) {
  auto data = pattern(size, static_cast<uint8_t>(i));
  const uint32_t ppid = htonl(static_cast<uint32_t>(i));
  switch (kind_of(i)) {
    case Kind::kPlain: return send_ttl(fd, id, data, ppid, 0);
    case Kind::kSendmsgTtl: return send_ttl(fd, id, data, ppid, kShortTtl);
    case Kind::kLongTtl: return send_ttl(fd, id, data, ppid, kLongTtl);
    case Kind::kSendvTtl: {
      iovec iov{data.data(), data.size()};
      sctp_sendv_spa spa{};
      spa.sendv_flags = SCTP_SEND_SNDINFO_VALID | SCTP_SEND_PRINFO_VALID;
      spa.sendv_sndinfo.snd_ppid = ppid;
      spa.sendv_sndinfo.snd_assoc_id = id;
      spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_TTL;
      spa.sendv_prinfo.pr_value = kShortTtl;
      return static_cast<int>(sctp_sendv(fd, &iov, 1, nullptr, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0));
    }
  }
  return -1;
}

// One SEND_FAILED(_EVENT): its PPID, after checking it is SCTP_DATA_UNSENT
// and carries the message's bytes.
uint32_t failed_ppid(const Received& r, bool new_style, size_t size) {
  uint16_t type, flags;
  uint32_t length, ppid;
  size_t header;
  if (new_style) {
    sctp_send_failed_event e;
    std::memcpy(&e, r.data.data(), sizeof e);
    type = e.ssf_type, flags = e.ssf_flags, length = e.ssf_length, ppid = e.ssfe_info.snd_ppid, header = sizeof e;
  } else {
    sctp_send_failed e;
    std::memcpy(&e, r.data.data(), sizeof e);
    type = e.ssf_type, flags = e.ssf_flags, length = e.ssf_length, ppid = e.ssf_info.sinfo_ppid, header = sizeof e;
  }
  EXPECT_EQ(type, new_style ? SCTP_SEND_FAILED_EVENT : SCTP_SEND_FAILED);
  EXPECT_EQ(flags, SCTP_DATA_UNSENT);
  EXPECT_EQ(length, header + size);
  const uint32_t i = ntohl(ppid);
  const std::vector<uint8_t> body(r.data.begin() + static_cast<std::ptrdiff_t>(header), r.data.end());
  EXPECT_TRUE(body == pattern(size, static_cast<uint8_t>(i))) << "message " << i << ": bytes differ";
  return i;
}

void small_sndbuf(int fd) {
  const int small = 4096;  // 8 KiB un-ACKed: the window fills after a few messages
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
}

void huge_sndbuf(int fd) {
  const int huge = 4 << 20;  // far more than TCP's buffers hold
  ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &huge, sizeof huge), 0);
}

// The sender as a one-to-many socket: its one association, to a's listener,
// replaces a.client; returns its id.
sctp_assoc_t many_sender(Assoc& a) {
  const int fd = many_socket();
  small_sndbuf(fd);
  sockaddr_in to = loopback(a.port);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&to), sizeof to), 0) << std::strerror(errno);
  const int server = accept_within(a.listener, 5000);
  EXPECT_GE(server, 0);
  subscribe(server, Events{});
  close(a.client);
  close(a.server);
  a.client = fd;
  a.server = server;
  alignas(sctp_assoc_ids) char buf[sizeof(sctp_assoc_ids) + 4 * sizeof(sctp_assoc_t)];
  socklen_t len = sizeof buf;
  EXPECT_EQ(getsockopt(fd, SOL_SCTP, SCTP_GET_ASSOC_ID_LIST, buf, &len), 0) << std::strerror(errno);
  sctp_assoc_ids ids;
  std::memcpy(&ids, buf, sizeof ids);
  EXPECT_EQ(ids.gaids_number_of_ids, 1u);
  sctp_assoc_t id;
  std::memcpy(&id, buf + offsetof(sctp_assoc_ids, gaids_assoc_id), sizeof id);
  return id;
}

void run_ttl(const Run& run) {
  const bool new_style = run.new_style, pr_off = run.pr_off;
  const size_t size = run.size();
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a, nullptr, run.tcp_full ? huge_sndbuf : small_sndbuf));
  sctp_assoc_t id = 0;
  if (run.many) {
    id = many_sender(a);
    ASSERT_GT(id, 0);
  }
  if (new_style) {
    sctp_event se{};
    se.se_type = SCTP_SEND_FAILED_EVENT;
    se.se_on = 1;
    se.se_assoc_id = id;  // one-to-many: 0 would be SCTP_FUTURE_ASSOC, not this association (Linux)
    ASSERT_EQ(setsockopt(a.client, SOL_SCTP, SCTP_EVENT, &se, sizeof se), 0) << std::strerror(errno);
  } else {
    subscribe(a.client, Events{false, false, true});
  }
  if (pr_off) {
    sctp_assoc_value off{};
    ASSERT_EQ(setsockopt(a.client, SOL_SCTP, SCTP_PR_SUPPORTED, &off, sizeof off), 0);
  }
  // Non-blocking: a send that would wait fails the test instead of hanging it.
  ASSERT_EQ(fcntl(a.client, F_SETFL, fcntl(a.client, F_GETFL) | O_NONBLOCK), 0);
  int count = 0;
  for (; count < (run.tcp_full ? kMaxLarge : kCount); ++count) {
    if (send_one(a.client, id, count, size) >= 0) continue;
    ASSERT_TRUE(run.tcp_full && errno == EAGAIN) << count << ": " << std::strerror(errno);
    break;
  }
  ASSERT_GE(count, kCount);
  usleep(300 * 1000);  // every 50 ms TTL still waiting has passed
  // The end marker goes as soon as the sender has room (at once, unless its
  // pair is full: then once the receiver has read some).
  bool end_sent = false;
  auto send_end = [&] {
    if (end_sent) return;
    const int n = send_ttl(a.client, id, {'e', 'n', 'd'}, htonl(kEnd), 0);
    ASSERT_TRUE(n == 3 || errno == EAGAIN) << std::strerror(errno);
    end_sent = n == 3;
  };

  std::vector<uint32_t> got;
  for (;;) {
    ASSERT_NO_FATAL_FAILURE(send_end());
    const Received r = receive(a.server, 70000, 20000);
    ASSERT_GT(r.n, 0) << "receiver: " << got.size() << " messages, then nothing";
    ASSERT_FALSE(r.notification());
    const uint32_t i = ntohl(r.sinfo.sinfo_ppid);
    if (i == kEnd) break;
    ASSERT_LT(i, uint32_t(count));
    EXPECT_TRUE(r.data == pattern(size, static_cast<uint8_t>(i))) << "message " << i;
    if (!got.empty()) {
      EXPECT_GT(i, got.back()) << "in order, no duplicates";
    }
    got.push_back(i);
  }
  // Every failure was queued before the end marker left: all are here now.
  std::set<uint32_t> failed;
  while (readable_within(a.client, 500)) {
    const Received r = receive(a.client, 70000, 1000);
    ASSERT_TRUE(r.notification()) << "only SEND_FAILED comes back";
    const uint32_t i = failed_ppid(r, new_style, size);
    EXPECT_TRUE(failed.insert(i).second) << "message " << i << " failed twice";
  }
  const std::set<uint32_t> received(got.begin(), got.end());
  for (int i = 0; i < count; ++i) {
    const uint32_t u = static_cast<uint32_t>(i);
    EXPECT_NE(received.count(u), failed.count(u)) << "message " << i << ": delivered xor failed";
    if (!expires(i) || pr_off) {
      EXPECT_EQ(received.count(u), 1u) << "message " << i << " has no short TTL";
    }
  }
  if (pr_off) {
    EXPECT_TRUE(failed.empty()) << "SCTP_PR_SUPPORTED off: every message is reliable";
  } else {
    EXPECT_FALSE(failed.empty()) << "messages waited behind the full window longer than their TTL";
  }
}

API_TEST(TtlExpiredUnsentComeBackAsSendFailed, 60) { run_ttl(Run{}); }
API_TEST(TtlExpiredUnsentComeBackAsSendFailedEvent, 60) { run_ttl(Run{.new_style = true}); }
API_TEST(TtlIgnoredWithoutPrSupported, 60) { run_ttl(Run{.pr_off = true}); }
API_TEST(TtlOneToManySender, 60) { run_ttl(Run{.new_style = true, .many = true}); }
API_TEST(TtlBehindFullTcp, 120) { run_ttl(Run{.tcp_full = true}); }
// Also the regression test of a reader that stops: the engine, told to read
// while its reading was paused for the full pair, took "nothing read" for end
// of file and ended the association after about 8 MiB.
API_TEST(TtlBehindFullTcpOff, 120) { run_ttl(Run{.pr_off = true, .tcp_full = true}); }

// SCTP_PR_SUPPORTED, SCTP_DEFAULT_PRINFO, SCTP_DEFAULT_SEND_PARAM's
// timetolive and SCTP_PRINFO on send, with Linux's checks
// (net/sctp/socket.c, sm_make_chunk.c sctp_msghdr_parse).
API_TEST(PrsctpOptionsAndErrno, 30) {
  Assoc a;
  ASSERT_NO_FATAL_FAILURE(make_assoc(a));
  const int fd = a.client;
  sctp_assoc_value av{};
  socklen_t len = sizeof av;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_PR_SUPPORTED, &av, &len), 0);
  EXPECT_EQ(av.assoc_value, 1u) << "on by default (net.sctp.prsctp_enable)";
  const int as_int = 0;
  errno = 0;
  EXPECT_EQ(setsockopt(fd, SOL_SCTP, SCTP_PR_SUPPORTED, &as_int, sizeof as_int), -1);
  EXPECT_EQ(errno, EINVAL) << "an sctp_assoc_value, exactly";
  av.assoc_value = 0;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_PR_SUPPORTED, &av, sizeof av), 0);
  len = sizeof av;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_PR_SUPPORTED, &av, &len), 0);
  EXPECT_EQ(av.assoc_value, 0u);
  av.assoc_value = 5;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_PR_SUPPORTED, &av, sizeof av), 0);

  sctp_default_prinfo pr{};
  len = sizeof pr;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_DEFAULT_PRINFO, &pr, &len), 0);
  EXPECT_EQ(pr.pr_policy, SCTP_PR_SCTP_NONE);
  EXPECT_EQ(pr.pr_value, 0u);
  pr.pr_policy = SCTP_PR_SCTP_TTL;
  pr.pr_value = 50;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_DEFAULT_PRINFO, &pr, sizeof pr), 0);
  sctp_sndrcvinfo def{};
  len = sizeof def;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_DEFAULT_SEND_PARAM, &def, &len), 0);
  EXPECT_EQ(def.sinfo_timetolive, 50u);
  EXPECT_EQ(def.sinfo_flags & SCTP_PR_SCTP_MASK, SCTP_PR_SCTP_TTL);
  pr = {};
  pr.pr_policy = SCTP_PR_SCTP_ALL;  // a statistics index, not a policy
  errno = 0;
  EXPECT_EQ(setsockopt(fd, SOL_SCTP, SCTP_DEFAULT_PRINFO, &pr, sizeof pr), -1);
  EXPECT_EQ(errno, EINVAL);
  pr.pr_policy = SCTP_PR_SCTP_TTL;
  errno = 0;
  EXPECT_EQ(setsockopt(fd, SOL_SCTP, SCTP_DEFAULT_PRINFO, &pr, sizeof pr - 2), -1);
  EXPECT_EQ(errno, EINVAL);
  len = sizeof pr - 2;
  errno = 0;
  EXPECT_EQ(getsockopt(fd, SOL_SCTP, SCTP_DEFAULT_PRINFO, &pr, &len), -1);
  EXPECT_EQ(errno, EINVAL);
  pr.pr_policy = SCTP_PR_SCTP_NONE;
  pr.pr_value = 7;  // no policy, no value
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_DEFAULT_PRINFO, &pr, sizeof pr), 0);
  len = sizeof pr;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_DEFAULT_PRINFO, &pr, &len), 0);
  EXPECT_EQ(pr.pr_value, 0u);
  // SCTP_DEFAULT_SEND_PARAM sets the flags whole (no policy) and the TTL.
  def = {};
  def.sinfo_timetolive = 30;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_DEFAULT_SEND_PARAM, &def, sizeof def), 0);
  len = sizeof pr;
  ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_DEFAULT_PRINFO, &pr, &len), 0);
  EXPECT_EQ(pr.pr_policy, SCTP_PR_SCTP_NONE);
  EXPECT_EQ(pr.pr_value, 30u);

  // SCTP_PRINFO on send: a known policy, exactly one struct.
  auto send_prinfo = [&](uint16_t policy, size_t cmsg_bytes) {
    char payload[4] = {1, 2, 3, 4};
    iovec iov{payload, sizeof payload};
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(sctp_prinfo) + 8)] = {};
    msghdr m{};
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    m.msg_control = control;
    m.msg_controllen = CMSG_SPACE(cmsg_bytes);
    cmsghdr* c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = IPPROTO_SCTP;
    c->cmsg_type = SCTP_PRINFO;
    c->cmsg_len = CMSG_LEN(cmsg_bytes);
    sctp_prinfo p{};
    p.pr_policy = policy;
    p.pr_value = 10000;
    std::memcpy(CMSG_DATA(c), &p, sizeof p);
    errno = 0;
    return sendmsg(fd, &m, 0);
  };
  EXPECT_EQ(send_prinfo(SCTP_PR_SCTP_ALL, sizeof(sctp_prinfo)), -1);
  EXPECT_EQ(errno, EINVAL) << "unknown policy";
  EXPECT_EQ(send_prinfo(SCTP_PR_SCTP_TTL, sizeof(sctp_prinfo) + 4), -1);
  EXPECT_EQ(errno, EINVAL) << "wrong length";
  // RTX and PRIO are accepted; over TCP they send reliably.
  EXPECT_EQ(send_prinfo(SCTP_PR_SCTP_RTX, sizeof(sctp_prinfo)), 4) << std::strerror(errno);
  EXPECT_EQ(send_prinfo(SCTP_PR_SCTP_PRIO, sizeof(sctp_prinfo)), 4) << std::strerror(errno);
  EXPECT_EQ(send_prinfo(SCTP_PR_SCTP_TTL, sizeof(sctp_prinfo)), 4) << std::strerror(errno);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(receive(a.server).n, 4) << "message " << i;
}

}  // namespace
}  // namespace sctpmap::test
