// SPDX-License-Identifier: MIT
// The set of fds the engine owns (TCP sockets, the engine ends of pairs, app
// ends not yet accepted). A fork()ed child closes them all at once: holding
// copies would keep the parent's connections open after the parent closes
// them (no FIN, no RST) and hide the parent's pair EOFs.
#pragma once

namespace sctpmap::socket {

void own_fd(int fd);
// Forgets `fd` and closes it.
void close_owned(int fd);

}  // namespace sctpmap::socket
