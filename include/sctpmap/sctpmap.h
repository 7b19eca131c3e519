/* SPDX-License-Identifier: MIT */
/*
 * sctpmap's own small API, for programs that link libsctpmap directly
 * (ported code). Everything else is the standard SCTP sockets API:
 * <netinet/sctp.h> (compat/ on hosts without libsctp-dev).
 */
#ifndef SCTPMAP_SCTPMAP_H
#define SCTPMAP_SCTPMAP_H

#ifdef __cplusplus
#define SCTPMAP_NOEXCEPT noexcept
extern "C" {
#else
#define SCTPMAP_NOEXCEPT
#endif

/*
 * sctpmap_version - the library's version, "MAJOR.MINOR.PATCH".
 * Never fails; the string is static. Any thread.
 */
const char *sctpmap_version(void) SCTPMAP_NOEXCEPT;

/*
 * sctpmap_is_emulated - whether fd is an SCTP socket emulated by sctpmap.
 * Returns 1 if it is, 0 otherwise (including invalid fds). Any thread.
 */
int sctpmap_is_emulated(int fd) SCTPMAP_NOEXCEPT;

#ifdef __cplusplus
}
#endif

#endif /* SCTPMAP_SCTPMAP_H */
