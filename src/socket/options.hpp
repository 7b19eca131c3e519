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
  // SCTP_DEFAULT_SEND_PARAM / SCTP_DEFAULT_SNDINFO; SCTP_DEFAULT_PRINFO is
  // the PR-SCTP policy in sinfo_flags and the value in sinfo_timetolive.
  sctp_sndrcvinfo default_send{};
  bool recv_rcvinfo = false;       // SCTP_RECVRCVINFO
  bool nodelay = false;            // SCTP_NODELAY (reported; see docs/ARCHITECTURE.md)
  int sndbuf = 212992 * 2;         // SO_SNDBUF as getsockopt reports it (Linux doubles)
  int rcvbuf = 212992 * 2;
  bool linger_on = false;
  int linger_secs = 0;
  bool reuseaddr = false;
  uint32_t autoclose = 0;
  // Accepted and reported with Linux's defaults and checks; over one TCP
  // connection most change nothing (docs/COMPATIBILITY.md, socket_tunables.cpp).
  uint32_t context = 0;           // SCTP_CONTEXT: sinfo_context of received messages
  bool disable_fragments = false; // SCTP_DISABLE_FRAGMENTS
  uint32_t max_burst = 4;         // SCTP_MAX_BURST (net.sctp.max_burst)
  uint32_t sack_delay_ms = 200;   // SCTP_DELAYED_SACK (net.sctp.sack_timeout)
  uint32_t sack_freq = 2;
  uint32_t pd_point = 0;          // SCTP_PARTIAL_DELIVERY_POINT
  bool fragment_interleave = false;  // SCTP_FRAGMENT_INTERLEAVE
  bool v4mapped = true;           // SCTP_I_WANT_MAPPED_V4_ADDR (Linux: on)
  bool recv_nxtinfo = false;      // SCTP_RECVNXTINFO
  bool pr_supported = true;       // SCTP_PR_SUPPORTED (net.sctp.prsctp_enable: on)
};

// Options with an association id: on a one-to-many socket each association
// has its own value (socket_assoc_opts.cpp, after Linux net/sctp/socket.c).
bool per_assoc_option(int name);
// Whether setting `name` takes SCTP_CURRENT_ASSOC and SCTP_ALL_ASSOC too
// (Linux: those whose setter walks ep->asocs); the others take only an
// association's id or SCTP_FUTURE_ASSOC.
bool takes_current_assoc(int name);
// The association id in an option's value; SCTP_FUTURE_ASSOC for forms
// without one (SCTP_MAX_BURST as an int) or buffers too short to hold it.
int32_t option_assoc_id(int name, const void* val, socklen_t len);
// Copies what an association keeps of its own (see per_assoc_option) from
// `from` onto `to`: a peeled-off association's new socket.
void copy_assoc_values(Options& to, const Options& from);

// The options above: 0 or -errno, -ENOPROTOOPT for any other name. Caller
// holds the socket's mu.
int set_tunable(Options& o, int name, const void* val, socklen_t len);
int get_tunable(const Options& o, int name, void* val, socklen_t* len);

}  // namespace sctpmap::socket
