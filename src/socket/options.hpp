// SPDX-License-Identifier: MIT
// Socket-level settings an application sets with setsockopt and an association
// inherits when it starts (RFC 6458 section 8; Linux defaults).
#pragma once

#include "socket/sctp_uapi.hpp"

#include <cstdint>

#include "assoc/config.hpp"

namespace sctpmap::socket {

// Bit i is notification type SCTP_SN_TYPE_BASE + i, the order of struct
// sctp_event_subscribe's fields.
using EventMask = uint32_t;
constexpr EventMask event_bit(uint16_t sn_type) { return 1u << (sn_type - SCTP_SN_TYPE_BASE); }

struct Options {
  assoc::Config assoc;
  sctp_sndrcvinfo default_send{};  // SCTP_DEFAULT_SEND_PARAM / SCTP_DEFAULT_SNDINFO
  bool recv_rcvinfo = false;       // SCTP_RECVRCVINFO
  bool nodelay = false;            // SCTP_NODELAY (reported; see docs/ARCHITECTURE.md)
  uint32_t maxseg = 0;             // SCTP_MAXSEG (0: default)
  int sndbuf = 212992 * 2;         // SO_SNDBUF as getsockopt reports it (Linux doubles)
  int rcvbuf = 212992 * 2;
  bool linger_on = false;
  int linger_secs = 0;
  bool reuseaddr = false;
  uint32_t autoclose = 0;
};

}  // namespace sctpmap::socket
