// SPDX-License-Identifier: MIT
// One-to-many mode of sctpmap-perf: one server socket, N client associations.
//
//   kSctpmap  the server opens ONE socket(AF_INET, SOCK_SEQPACKET,
//             IPPROTO_SCTP) (RFC 6458 section 3), listens, and takes every
//             association without accept(); it subscribes to
//             sctp_data_io_event and sctp_association_event and reads each
//             message's association from its SCTP_SNDRCV cmsg.
//   kTcp      the server is one epoll loop over one listening TCP socket
//             and one accepted connection per client, parsing the same
//             4-byte-length framing as the one-to-one baseline.
//
// The client halves live in many_client.cpp (declared in bench.hpp), the
// server halves here. Server functions run in the server process, reply on
// reply_fd as bench_server.cpp does (port first, counts last), and return
// nothing; their errors travel in the Reply.
#pragma once

#include "control.hpp"

namespace sctpmap::perf {

// Counts and verifies messages from c.count associations until every one has
// ended (SHUTDOWN_COMP or COMM_LOST; EOF for TCP). Sequence numbers are
// checked per association. Time runs from the first message to the last.
void serve_many_throughput(const Command& c, int reply_fd);

// Opens one one-to-many socket bound to 0.0.0.0 (so the client may reach it
// on any 127.0.0.0/8 address), waits for one warm-up association, takes the
// RSS baseline and replies, then waits for c.count more and replies with the
// growth. The socket stays open in *keep until kIdleRelease.
void serve_many_idle_open(const Command& c, int reply_fd, int* keep);

}  // namespace sctpmap::perf
