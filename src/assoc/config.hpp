// SPDX-License-Identifier: MIT
// Per-association parameters. Defaults are RFC 9260 section 16 and Linux SCTP's.
// Passed in by value; never global.
#pragma once

#include <cstddef>
#include <cstdint>

#include "assoc/instant.hpp"

namespace sctpmap::assoc {

using namespace std::chrono_literals;

struct Config {
  uint16_t outbound_streams = 10;         // SCTP_INITMSG sinit_num_ostreams (Linux: 10)
  uint16_t max_inbound_streams = 65535;   // sinit_max_instreams (Linux: 65535)
  Duration rto_initial = 3s;              // SCTP_RTOINFO
  Duration rto_min = 1s;
  Duration rto_max = 60s;
  Duration hb_interval = 30s;             // SCTP_PEER_ADDR_PARAMS spp_hbinterval
  bool hb_enabled = true;                 // SPP_HB_ENABLE / SPP_HB_DISABLE
  uint16_t path_max_retrans = 5;          // spp_pathmaxrxt
  uint16_t assoc_max_retrans = 10;        // SCTP_ASSOCINFO sasoc_asocmaxrxt
  size_t sndbuf = 212992;                 // bound on un-ACKed payload bytes (SO_SNDBUF)
  // Largest message with the fragmentation extension (docs/PROTOCOL.md 15):
  // announced to the peer as what we reassemble, and the most we send. At or
  // below one DATA chunk's payload, or in strict mode, fragmentation is not
  // offered. Capped at 2^32 - 1 (a 32-bit wire parameter).
  size_t max_message = 4194304;
  bool strict_draft = false;              // SCTPMAP_STRICT: send nothing outside the draft
  uint32_t adaptation_ind = 0;            // SCTP_ADAPTATION_LAYER: announced in CAPABILITY when not 0
  // Hand a fragmented message to the sink fragment by fragment as it
  // arrives (SCTP's partial delivery) rather than whole once its last
  // fragment is in. Only where the reader cannot see another association's
  // data in between: a one-to-one socket.
  bool partial_delivery = false;
  // SCTP_PARTIAL_DELIVERY_POINT (a one-to-many socket's; 0: none): once
  // this many bytes of a fragmented message are in, what is in goes to the
  // sink as a piece and every later fragment as it comes (Linux's
  // sctp_ulpq_retrieve_reassembled). Below it, and at 0, the message is
  // delivered whole. Ignored with partial_delivery, which is "from the first
  // byte".
  size_t pd_point = 0;
  uint8_t init_flags = 0;                 // T/S/P bits: fields WE omit from our DATA
  // SCTP_MAXSEG: the most user data one DATA fragment carries when
  // fragmentation is negotiated (0: as much as a chunk holds). Without it a
  // message is one chunk whatever this says.
  size_t maxseg = 0;
};

}  // namespace sctpmap::assoc
