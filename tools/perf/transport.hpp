// SPDX-License-Identifier: MIT
// The two transports sctpmap-perf compares, doing the same framing and
// verification work:
//   kSctpmap  socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP), the one-to-one style
//             of RFC 6458 section 4 that libsctpmap emulates: one message per
//             sendmsg() (with an SCTP_SNDRCV cmsg, as sctp_sendmsg() builds),
//             recvmsg() until MSG_EOR for each message.
//   kTcp      plain TCP, Nagle left on: a 4-byte big-endian length and the
//             payload go out in ONE send(); the receiver reads up to
//             kRecvBufferBytes at a time and parses frames out of the stream.
// Every payload starts with a 64-bit sequence number; both readers check the
// length and the sequence number of every message, so a lost, merged, split
// or reordered message is reported, never counted.
//
// Functions return an fd or 0 on success and -errno on failure; they never
// exit. Objects are used by one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace sctpmap::perf {

enum class Transport : uint8_t { kSctpmap, kTcp };

// "sctpmap" or "tcp": the spelling of --only and of the JSON keys.
const char* transport_name(Transport t);

// "<transport>: <what>: <strerror>", with a hint when the sctpmap socket
// cannot be made at all (the program is then not running on libsctpmap).
std::string describe_error(Transport t, const char* what, int neg_errno);

// Both readers use a buffer of this size, so neither gets a bigger window.
inline constexpr size_t kRecvBufferBytes = 256 * 1024;
// A message must hold the sequence number and fit the receive buffer whole.
inline constexpr size_t kMinMessageBytes = 8;
inline constexpr size_t kMaxMessageBytes = 128 * 1024;

// A listening socket on 127.0.0.1 with a kernel-chosen port, stored in *port.
int open_listener(Transport t, int backlog, uint16_t* port);
// A socket connected to 127.0.0.1:port (blocking connect).
int open_client(Transport t, uint16_t port);
// accept(2), retried on EINTR.
int accept_conn(int listener);

class MessageWriter {
 public:
  MessageWriter(Transport t, int fd, size_t size);
  // Sends one message of `size` bytes carrying `seq`. Returns 0 or -errno;
  // -EMSGSIZE if an SCTP send took only part of the message.
  [[nodiscard]] int send(uint64_t seq);

 private:
  int send_tcp();
  int send_sctp();

  Transport transport_;
  int fd_;
  size_t size_;
  size_t payload_offset_;        // 4 for the TCP length prefix, else 0
  std::vector<uint8_t> frame_;   // [length prefix] payload, built once
  std::vector<uint8_t> control_; // SCTP_SNDRCV cmsg, built once
};

enum class ReadStatus { kMessage, kEof, kError };

class MessageReader {
 public:
  MessageReader(Transport t, int fd, size_t size);
  // Reads the next whole message and checks that it is `size` bytes long and
  // carries `seq`. kEof only at a message boundary; kError sets error().
  [[nodiscard]] ReadStatus next(uint64_t seq);
  const std::string& error() const { return error_; }

 private:
  ReadStatus next_tcp(uint64_t seq);
  ReadStatus next_sctp(uint64_t seq);
  ReadStatus check(const uint8_t* payload, size_t len, uint64_t seq);
  ReadStatus fail(const char* fmt, ...) __attribute__((format(printf, 2, 3)));

  Transport transport_;
  int fd_;
  size_t size_;
  std::vector<uint8_t> buf_;
  size_t begin_ = 0;  // TCP: unparsed bytes are buf_[begin_, end_)
  size_t end_ = 0;
  std::string error_;
};

}  // namespace sctpmap::perf
