// SPDX-License-Identifier: MIT
// sctp_peer's notification printer: one text line per SCTP notification, in a
// fixed vocabulary the GoogleTest drivers match on:
//   EVENT ASSOC_CHANGE <COMM_UP|COMM_LOST|RESTART|SHUTDOWN_COMP|CANT_STR_ASSOC>
//         error=E in=I out=O
//   EVENT SHUTDOWN_EVENT
//   EVENT SEND_FAILED flags=<SENT|UNSENT|0xN> err=E len=L seq=S intact=0|1 info=ok|bad
//   EVENT SEND_FAILED_EVENT (same fields)
//   EVENT PEER_ADDR_CHANGE state=S error=E, EVENT REMOTE_ERROR error=E,
//   EVENT PARTIAL_DELIVERY indication=I, EVENT ADAPTATION ind=I,
//   EVENT SENDER_DRY, EVENT TYPE 0xN (anything else),
//   EVENT_BAD <why> (a notification whose own length fields are inconsistent).
// seq is the message number from the returned bytes (-1: no header); intact
// means the returned bytes are exactly what was sent; info means the returned
// stream and PPID are the ones the message was sent with.
#pragma once

#include <cstddef>
#include <string>

#include "peer_payload.hpp"

namespace sctpmap::test {

// Formats the notification in buf[0..n) (read with MSG_NOTIFICATION set).
std::string describe_notification(const void* buf, size_t n, const Schedule& schedule);

// The ASSOC_CHANGE state of a notification, or -1 if it is not one.
int assoc_change_state(const void* buf, size_t n);

}  // namespace sctpmap::test
