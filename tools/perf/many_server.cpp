// SPDX-License-Identifier: MIT
// Server halves of the one-to-many mode; see many.hpp.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <unordered_map>
#include <vector>

#include "many.hpp"

namespace sctpmap::perf {
namespace {

// Counts common to both servers; the reply is built from them.
struct Tally {
  uint64_t messages = 0;
  int64_t first_ns = 0;
  int64_t last_ns = 0;
  std::string error;

  void saw_message() {
    last_ns = now_ns();
    if (messages++ == 0) first_ns = last_ns;
  }
};

void reply_tally(int reply_fd, const Tally& t) {
  Reply r = t.error.empty() ? ok_reply() : error_reply("server: " + t.error);
  r.messages = t.messages;
  r.elapsed_ns = t.messages > 0 ? t.last_ns - t.first_ns : 0;
  (void)write_reply(reply_fd, r);
}

// A listening one-to-many SCTP socket on addr:0 with association (and, if
// `data`, data_io) events subscribed; the port goes to *port. fd or -errno.
int open_many_socket(uint32_t addr, int backlog, bool data, uint16_t* port) {
  const int fd = ::socket(AF_INET, SOCK_SEQPACKET, IPPROTO_SCTP);
  if (fd < 0) return -errno;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(addr);
  sctp_event_subscribe ev{};
  ev.sctp_data_io_event = data ? 1 : 0;
  ev.sctp_association_event = 1;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || ::listen(fd, backlog) < 0 ||
      ::setsockopt(fd, SOL_SCTP, SCTP_EVENTS, &ev, sizeof ev) < 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) < 0) {
    const int e = errno;
    ::close(fd);
    return -e;
  }
  *port = ntohs(a.sin_port);
  return fd;
}

// Reads one message or notification from a one-to-many socket. Messages
// larger than the partial delivery point come in pieces without MSG_EOR,
// all from the same association; they are joined here.
struct ManyMsg {
  size_t len = 0;
  bool notification = false;
  bool has_sinfo = false;
  sctp_assoc_t assoc = 0;
  socklen_t namelen = 0;
};

bool recv_many(int fd, std::vector<uint8_t>& buf, ManyMsg* m, std::string* err) {
  *m = ManyMsg{};
  for (;;) {
    sockaddr_storage from{};
    alignas(cmsghdr) uint8_t control[CMSG_SPACE(sizeof(sctp_sndrcvinfo))];
    iovec iov{buf.data() + m->len, buf.size() - m->len};
    msghdr msg{};
    msg.msg_name = &from;
    msg.msg_namelen = sizeof from;
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    const ssize_t n = ::recvmsg(fd, &msg, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *err = n == 0 ? "sctpmap: recvmsg on the one-to-many socket returned 0"
                    : std::string("sctpmap: recvmsg: ") + std::strerror(errno);
      return false;
    }
    m->len += static_cast<size_t>(n);
    m->notification = (msg.msg_flags & MSG_NOTIFICATION) != 0;
    m->namelen = msg.msg_namelen;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c != nullptr; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != IPPROTO_SCTP || c->cmsg_type != SCTP_SNDRCV) continue;
      sctp_sndrcvinfo s;
      std::memcpy(&s, CMSG_DATA(c), sizeof s);
      m->has_sinfo = true;
      m->assoc = s.sinfo_assoc_id;
    }
    if ((msg.msg_flags & MSG_EOR) || m->len == buf.size()) return true;
  }
}

// An SCTP_ASSOC_CHANGE notification's association and state; false for
// any other notification.
bool assoc_change(const uint8_t* p, size_t len, sctp_assoc_t* id, uint16_t* state) {
  if (len < sizeof(sctp_assoc_change)) return false;
  sctp_assoc_change ac;
  std::memcpy(&ac, p, sizeof ac);
  if (ac.sac_type != SCTP_ASSOC_CHANGE) return false;
  *id = ac.sac_assoc_id;
  *state = ac.sac_state;
  return true;
}

bool is_end(uint16_t state) { return state == SCTP_SHUTDOWN_COMP || state == SCTP_COMM_LOST; }

// SCTP_COMM_UP -> +1 association up; SHUTDOWN_COMP, COMM_LOST -> +1 ended.
void count_assoc_change(const uint8_t* p, size_t len, uint32_t* up, uint32_t* ended) {
  sctp_assoc_t id;
  uint16_t state;
  if (!assoc_change(p, len, &id, &state)) return;
  if (state == SCTP_COMM_UP) ++*up;
  if (is_end(state)) ++*ended;
}

// What the throughput server knows of one association.
struct AssocState {
  uint64_t next_seq = 0;
  bool up = false;
  bool ended = false;
};

// Books one association change; false (with t->error) when it contradicts
// what came before: an end twice, or an end or a start out of order.
bool book_assoc_change(const uint8_t* p, size_t len, std::unordered_map<sctp_assoc_t, AssocState>* assocs,
                       uint32_t* up, uint32_t* ended, Tally* t) {
  sctp_assoc_t id;
  uint16_t state;
  if (!assoc_change(p, len, &id, &state)) return true;
  AssocState& a = (*assocs)[id];
  if (state == SCTP_COMM_UP) {
    if (a.up) t->error = "sctpmap: association " + std::to_string(id) + ": COMM_UP twice";
    a.up = true;
    ++*up;
  } else if (is_end(state)) {
    if (a.ended) t->error = "sctpmap: association " + std::to_string(id) + ": ended twice";
    if (state == SCTP_COMM_LOST)
      t->error = "sctpmap: association " + std::to_string(id) + ": COMM_LOST after " + std::to_string(a.next_seq) +
                 " messages";
    a.ended = true;
    ++*ended;
  }
  return t->error.empty();
}

void many_sctpmap(const Command& c, int reply_fd) {
  uint16_t port = 0;
  const int fd = open_many_socket(INADDR_LOOPBACK, static_cast<int>(c.count) + 16, true, &port);
  if (fd < 0) {
    (void)write_reply(reply_fd, error_reply(describe_error(c.transport, "server one-to-many socket", fd)));
    return;
  }
  Reply r = ok_reply();
  r.port = port;
  if (!write_reply(reply_fd, r)) return ::close(fd), void();
  std::vector<uint8_t> buf(kRecvBufferBytes);
  std::unordered_map<sctp_assoc_t, AssocState> assocs;
  Tally t;
  uint32_t up = 0;
  uint32_t ended = 0;
  ManyMsg m;
  while (ended < c.count && recv_many(fd, buf, &m, &t.error)) {
    if (m.notification) {
      if (!book_assoc_change(buf.data(), m.len, &assocs, &up, &ended, &t)) break;
      continue;
    }
    if (!m.has_sinfo || m.namelen == 0) {
      t.error = "sctpmap: a message without its association (SCTP_SNDRCV) or peer (msg_name)";
      break;
    }
    AssocState& a = assocs[m.assoc];
    if (!a.up || a.ended) {
      t.error = "sctpmap: association " + std::to_string(m.assoc) + ": data " + (a.ended ? "after its end" : "before COMM_UP");
      break;
    }
    uint64_t& want = a.next_seq;
    uint64_t got = 0;
    if (m.len >= sizeof got) std::memcpy(&got, buf.data(), sizeof got);
    if (m.len != c.size || got != want) {
      t.error = "sctpmap: association " + std::to_string(m.assoc) + ": got a " + std::to_string(m.len) +
                "-byte message #" + std::to_string(got) + ", expected " + std::to_string(c.size) + " bytes #" +
                std::to_string(want);
      break;
    }
    ++want;
    t.saw_message();
  }
  if (t.error.empty() && up != c.count)
    t.error = "sctpmap: " + std::to_string(up) + " associations came up, expected " + std::to_string(c.count);
  ::close(fd);
  reply_tally(reply_fd, t);
}

// One accepted TCP connection: the bytes of a frame split across reads wait
// in `carry` (at most one frame), so one shared read buffer serves them all.
struct TcpConn {
  int fd = -1;
  uint64_t next_seq = 0;
  std::vector<uint8_t> carry;
};

// Parses whole frames out of data[0, len); keeps the tail in conn->carry.
bool parse_frames(TcpConn* conn, const uint8_t* data, size_t len, uint32_t size, Tally* t) {
  size_t off = 0;
  while (len - off >= 4) {
    uint32_t be;
    std::memcpy(&be, data + off, sizeof be);
    uint64_t got = 0;
    if (ntohl(be) != size) {
      t->error = "tcp: frame length " + std::to_string(ntohl(be)) + ", expected " + std::to_string(size);
      return false;
    }
    if (len - off < 4 + size) break;
    std::memcpy(&got, data + off + 4, sizeof got);
    if (got != conn->next_seq) {
      t->error = "tcp: connection " + std::to_string(conn->fd) + ": got message #" + std::to_string(got) +
                 ", expected #" + std::to_string(conn->next_seq);
      return false;
    }
    ++conn->next_seq;
    t->saw_message();
    off += 4 + size;
  }
  conn->carry.assign(data + off, data + len);
  return true;
}

// One read from a ready connection. Returns false when it ended (EOF or
// error; an error also sets t->error).
bool read_conn(TcpConn* conn, std::vector<uint8_t>& buf, uint32_t size, Tally* t) {
  const size_t kept = conn->carry.size();
  std::memcpy(buf.data(), conn->carry.data(), kept);
  const ssize_t n = ::recv(conn->fd, buf.data() + kept, buf.size() - kept, 0);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return true;
  if (n < 0) {
    t->error = std::string("tcp: recv: ") + std::strerror(errno);
    return false;
  }
  if (n == 0) {
    if (kept != 0) t->error = "tcp: connection closed inside a message";
    return false;
  }
  return parse_frames(conn, buf.data(), kept + static_cast<size_t>(n), size, t);
}

void many_tcp(const Command& c, int reply_fd) {
  uint16_t port = 0;
  const int lfd = open_listener(Transport::kTcp, static_cast<int>(c.count) + 16, &port);
  const int ep = ::epoll_create1(EPOLL_CLOEXEC);
  if (lfd < 0 || ep < 0) {
    (void)write_reply(reply_fd, error_reply(describe_error(c.transport, "server listen", lfd < 0 ? lfd : -errno)));
    if (lfd >= 0) ::close(lfd);
    if (ep >= 0) ::close(ep);
    return;
  }
  Reply r = ok_reply();
  r.port = port;
  (void)write_reply(reply_fd, r);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;  // the listener
  ::epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
  std::vector<TcpConn> conns(c.count);
  std::vector<uint8_t> buf(kRecvBufferBytes);
  std::vector<epoll_event> ready(256);
  uint32_t accepted = 0;
  uint32_t ended = 0;
  Tally t;
  while (ended < c.count && t.error.empty()) {
    const int n = ::epoll_wait(ep, ready.data(), static_cast<int>(ready.size()), -1);
    for (int i = 0; i < n && t.error.empty(); ++i) {
      auto* conn = static_cast<TcpConn*>(ready[i].data.ptr);
      if (conn == nullptr) {
        const int fd = ::accept4(lfd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) continue;
        if (accepted == c.count) {
          t.error = "tcp: more connections than clients";
          ::close(fd);
          break;
        }
        conns[accepted].fd = fd;
        ev.data.ptr = &conns[accepted++];
        ::epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
      } else if (!read_conn(conn, buf, c.size, &t)) {
        ::close(conn->fd);  // also leaves the epoll set
        conn->fd = -1;
        ++ended;
      }
    }
  }
  for (TcpConn& conn : conns)
    if (conn.fd >= 0) ::close(conn.fd);
  ::close(ep);
  ::close(lfd);
  reply_tally(reply_fd, t);
}

}  // namespace

void serve_many_throughput(const Command& c, int reply_fd) {
  if (c.transport == Transport::kSctpmap) many_sctpmap(c, reply_fd);
  else many_tcp(c, reply_fd);
}

void serve_many_idle_open(const Command& c, int reply_fd, int* keep) {
  raise_nofile(2ull * c.count + 64);
  uint16_t port = 0;
  const int fd = open_many_socket(INADDR_ANY, static_cast<int>(c.count) + 16, false, &port);
  if (fd < 0) {
    (void)write_reply(reply_fd, error_reply(describe_error(c.transport, "server one-to-many socket", fd)));
    return;
  }
  *keep = fd;
  Reply r = ok_reply();
  r.port = port;
  if (!write_reply(reply_fd, r)) return;
  std::vector<uint8_t> buf(4096);
  uint32_t up = 0;
  uint32_t ended = 0;
  int64_t before = 0;
  ManyMsg m;
  std::string err;
  while (up < c.count + 1 && ended == 0 && recv_many(fd, buf, &m, &err)) {
    if (!m.notification) continue;
    count_assoc_change(buf.data(), m.len, &up, &ended);
    if (up == 1 && before == 0) {
      sleep_ms(200);
      before = rss_bytes();
      if (!write_reply(reply_fd, ok_reply())) return;
    }
  }
  if (err.empty() && ended != 0) err = "sctpmap: an idle association ended";
  if (!err.empty()) {
    (void)write_reply(reply_fd, error_reply("server: " + err));
    return;
  }
  sleep_ms(300);
  r = ok_reply();
  r.messages = up - 1;
  r.rss_delta = rss_bytes() - before;
  (void)write_reply(reply_fd, r);
}

}  // namespace sctpmap::perf
