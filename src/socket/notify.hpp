// SPDX-License-Identifier: MIT
// Linux's notification layouts (<linux/sctp.h>), built as the byte images an
// application reads with MSG_NOTIFICATION.
#pragma once

#include <cstdint>
#include <vector>

#include <sys/socket.h>

#include "assoc/events.hpp"

namespace sctpmap::socket {

std::vector<uint8_t> make_assoc_change(uint16_t state, uint16_t error, uint16_t os, uint16_t is, int32_t assoc_id);
std::vector<uint8_t> make_shutdown_event(int32_t assoc_id);
// `ppid` as the user gave it. `new_style`: struct sctp_send_failed_event
// (SCTP_SEND_FAILED_EVENT) instead of struct sctp_send_failed.
std::vector<uint8_t> make_send_failed(const assoc::Message& m, bool was_sent, bool new_style, int32_t assoc_id);
std::vector<uint8_t> make_sender_dry(int32_t assoc_id);
std::vector<uint8_t> make_adaptation(uint32_t ind, int32_t assoc_id);
// sre_error in network byte order, as Linux (__be16); `info` follows.
std::vector<uint8_t> make_remote_error(uint16_t cause, const std::vector<uint8_t>& info, int32_t assoc_id);
std::vector<uint8_t> make_paddr_change(const sockaddr_storage& addr, int state, int error, int32_t assoc_id);
std::vector<uint8_t> make_pdapi_aborted(uint16_t sid, uint16_t ssn, int32_t assoc_id);

}  // namespace sctpmap::socket
