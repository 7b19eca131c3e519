// SPDX-License-Identifier: MIT
// Sockets, framing and per-message verification for both transports; see
// transport.hpp for the contract.
#include "transport.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace sctpmap::perf {
namespace {

// One-to-one SCTP is what programs written for Linux SCTP open most; no
// socket option is set on either transport, so both run with their defaults
// (Nagle on, default buffer sizes).
int open_socket(Transport t) {
  const int proto = t == Transport::kSctpmap ? IPPROTO_SCTP : IPPROTO_TCP;
  const int fd = ::socket(AF_INET, SOCK_STREAM, proto);
  return fd < 0 ? -errno : fd;
}

sockaddr_in loopback(uint16_t port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

int close_with(int fd, int err) {
  ::close(fd);
  return -err;
}

}  // namespace

const char* transport_name(Transport t) { return t == Transport::kSctpmap ? "sctpmap" : "tcp"; }

std::string describe_error(Transport t, const char* what, int neg_errno) {
  std::string e = std::string(transport_name(t)) + ": " + what + ": " + std::strerror(-neg_errno);
  if (t == Transport::kSctpmap && neg_errno == -EPROTONOSUPPORT)
    e += " (is this binary linked against libsctpmap? this kernel has no SCTP)";
  return e;
}

int open_listener(Transport t, int backlog, uint16_t* port) {
  const int fd = open_socket(t);
  if (fd < 0) return fd;
  sockaddr_in a = loopback(0);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) return close_with(fd, errno);
  if (::listen(fd, backlog) < 0) return close_with(fd, errno);
  socklen_t len = sizeof a;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) < 0) return close_with(fd, errno);
  *port = ntohs(a.sin_port);
  return fd;
}

int open_client(Transport t, uint16_t port) {
  const int fd = open_socket(t);
  if (fd < 0) return fd;
  const sockaddr_in a = loopback(port);
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) < 0) return close_with(fd, errno);
  return fd;
}

int accept_conn(int listener) {
  for (;;) {
    const int fd = ::accept(listener, nullptr, nullptr);
    if (fd >= 0) return fd;
    if (errno != EINTR) return -errno;
  }
}

MessageWriter::MessageWriter(Transport t, int fd, size_t size)
    : transport_(t), fd_(fd), size_(size), payload_offset_(t == Transport::kTcp ? 4 : 0) {
  frame_.resize(payload_offset_ + size);
  if (t == Transport::kTcp) {
    const uint32_t be = htonl(static_cast<uint32_t>(size));
    std::memcpy(frame_.data(), &be, sizeof be);
  }
  for (size_t i = 0; i < size; ++i) frame_[payload_offset_ + i] = static_cast<uint8_t>(i * 31 + 7);
  if (t == Transport::kSctpmap) {
    // Stream 0, PPID 0: what sctp_sendmsg(fd, buf, len, NULL, 0, 0, 0, 0, 0, 0)
    // puts in its cmsg, so the emulation's ancillary-data path is measured too.
    control_.assign(CMSG_SPACE(sizeof(sctp_sndrcvinfo)), 0);
    auto* cmsg = reinterpret_cast<cmsghdr*>(control_.data());
    cmsg->cmsg_level = IPPROTO_SCTP;
    cmsg->cmsg_type = SCTP_SNDRCV;
    cmsg->cmsg_len = CMSG_LEN(sizeof(sctp_sndrcvinfo));
  }
}

int MessageWriter::send(uint64_t seq) {
  std::memcpy(frame_.data() + payload_offset_, &seq, sizeof seq);
  return transport_ == Transport::kTcp ? send_tcp() : send_sctp();
}

int MessageWriter::send_tcp() {
  // One send() per message; the loop only matters if a signal interrupts a
  // blocking send part-way, which the kernel reports as a short count.
  size_t off = 0;
  while (off < frame_.size()) {
    const ssize_t n = ::send(fd_, frame_.data() + off, frame_.size() - off, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -errno;
    }
    off += static_cast<size_t>(n);
  }
  return 0;
}

int MessageWriter::send_sctp() {
  iovec iov{frame_.data(), size_};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control_.data();
  msg.msg_controllen = control_.size();
  for (;;) {
    const ssize_t n = ::sendmsg(fd_, &msg, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -errno;
    // SCTP sends a message whole or not at all (RFC 6458 section 4.1.8).
    return static_cast<size_t>(n) == size_ ? 0 : -EMSGSIZE;
  }
}

MessageReader::MessageReader(Transport t, int fd, size_t size)
    : transport_(t), fd_(fd), size_(size), buf_(kRecvBufferBytes) {}

ReadStatus MessageReader::next(uint64_t seq) {
  return transport_ == Transport::kTcp ? next_tcp(seq) : next_sctp(seq);
}

ReadStatus MessageReader::fail(const char* fmt, ...) {
  char text[256];
  va_list ap;
  va_start(ap, fmt);
  std::vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  error_ = text;
  return ReadStatus::kError;
}

ReadStatus MessageReader::check(const uint8_t* payload, size_t len, uint64_t seq) {
  if (len != size_) {
    return fail("%s: message boundary lost: got a %zu-byte message, expected %zu (message #%llu)",
                transport_name(transport_), len, size_, static_cast<unsigned long long>(seq));
  }
  uint64_t got;
  std::memcpy(&got, payload, sizeof got);
  if (got != seq) {
    return fail("%s: message lost or reordered: got sequence %llu, expected %llu", transport_name(transport_),
                static_cast<unsigned long long>(got), static_cast<unsigned long long>(seq));
  }
  return ReadStatus::kMessage;
}

ReadStatus MessageReader::next_tcp(uint64_t seq) {
  for (;;) {
    const size_t avail = end_ - begin_;
    if (avail >= 4) {
      uint32_t be;
      std::memcpy(&be, buf_.data() + begin_, sizeof be);
      const size_t len = ntohl(be);
      // Checked before waiting for the body: a corrupt length must not make
      // us wait for bytes that never come.
      if (len != size_) return check(nullptr, len, seq);
      if (avail >= 4 + len) {
        const ReadStatus st = check(buf_.data() + begin_ + 4, len, seq);
        begin_ += 4 + len;
        return st;
      }
    }
    if (begin_ == end_) {
      begin_ = end_ = 0;
    } else if (buf_.size() - begin_ < 4 + size_) {
      // The frame would run past the end: move the partial frame to the front.
      std::memmove(buf_.data(), buf_.data() + begin_, avail);
      begin_ = 0;
      end_ = avail;
    }
    const ssize_t n = ::recv(fd_, buf_.data() + end_, buf_.size() - end_, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("tcp: recv: %s", std::strerror(errno));
    if (n == 0) {
      if (avail != 0) return fail("tcp: connection closed inside a message (%zu bytes of it received)", avail);
      return ReadStatus::kEof;
    }
    end_ += static_cast<size_t>(n);
  }
}

ReadStatus MessageReader::next_sctp(uint64_t seq) {
  size_t got = 0;
  for (;;) {
    iovec iov{buf_.data() + got, buf_.size() - got};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    const ssize_t n = ::recvmsg(fd_, &msg, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("sctpmap: recvmsg: %s", std::strerror(errno));
    if (n == 0) {
      if (got != 0) return fail("sctpmap: association closed inside a message (%zu bytes of it received)", got);
      return ReadStatus::kEof;
    }
    // No event is subscribed, so none should come; one would not be data.
    if (msg.msg_flags & MSG_NOTIFICATION) continue;
    got += static_cast<size_t>(n);
    // Without MSG_EOR the message continues (partial delivery, RFC 6458
    // section 8.1.20); a full buffer without it means a message too long.
    if (msg.msg_flags & MSG_EOR) return check(buf_.data(), got, seq);
    if (got == buf_.size()) return check(buf_.data(), got, seq);
  }
}

}  // namespace sctpmap::perf
