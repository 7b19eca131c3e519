/* SPDX-License-Identifier: MIT */
/*
 * linked_api: the libsctp functions called by a C program that LINKS its SCTP
 * library instead of preloading one, over one-to-one sockets on 127.0.0.1.
 * Built twice (tests/integration/meson.build):
 *   - against compat/'s <netinet/sctp.h> and libsctpmap.so;
 *   - with SCTPMAP_EXPECT_REAL_HEADER, against libsctp-dev's header and the
 *     real -lsctp, then run with LD_LIBRARY_PATH at our libsctp.so.1.
 * Usage: linked_api [EXPECTED_LIBRARY]: when given, sctp_sendmsg must come
 * from that file (this proves which libsctp the loader picked, even on a host
 * whose kernel does speak SCTP).
 * Exit: 0 all checks passed; 1 with a FAIL line naming the first that did not.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/sctp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

/* The header under test must be the one this build meant to use. */
#ifdef SCTPMAP_EXPECT_REAL_HEADER
#ifdef SCTPMAP_NETINET_SCTP_H
#error "compat/netinet/sctp.h was found; this build must use libsctp-dev's header"
#endif
#else
#ifndef SCTPMAP_NETINET_SCTP_H
#error "<netinet/sctp.h> is not compat/'s: the include path puts the system's first"
#endif
#endif

enum { kStreams = 8, kWatchdogSeconds = 30 };

#define CHECK(cond, ...)                                                   \
  do {                                                                     \
    if (!(cond)) {                                                         \
      fprintf(stderr, "FAIL line %d: %s: ", __LINE__, #cond);              \
      fprintf(stderr, __VA_ARGS__);                                        \
      fprintf(stderr, " (errno %d: %s)\n", errno, strerror(errno));        \
      exit(1);                                                             \
    }                                                                      \
  } while (0)

static struct sockaddr_in loopback(uint16_t port) {
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

static uint16_t local_port(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  CHECK(getsockname(fd, (struct sockaddr *)&a, &len) == 0, "getsockname(%d)", fd);
  return ntohs(a.sin_port);
}

static int sctp_socket(void) {
  int fd = socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP);
  CHECK(fd >= 0, "socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP)");
  struct sctp_initmsg init = {.sinit_num_ostreams = kStreams, .sinit_max_instreams = kStreams};
  CHECK(setsockopt(fd, IPPROTO_SCTP, SCTP_INITMSG, &init, sizeof init) == 0, "SCTP_INITMSG");
  return fd;
}

static void check_library(const char *expected) {
  Dl_info info;
  char want[PATH_MAX], got[PATH_MAX];
  CHECK(dladdr((void *)&sctp_sendmsg, &info) != 0 && info.dli_fname, "dladdr(sctp_sendmsg)");
  CHECK(realpath(expected, want) && realpath(info.dli_fname, got), "realpath(%s, %s)", expected,
        info.dli_fname);
  CHECK(strcmp(want, got) == 0, "sctp_sendmsg comes from %s, expected %s", got, want);
  printf("sctp_sendmsg from %s\n", got);
}

/* One message through sctp_recvmsg: its bytes, stream, PPID and MSG_EOR. */
static void expect_recvmsg(int fd, const char *text, uint16_t sid, uint32_t ppid) {
  char buf[256];
  struct sctp_sndrcvinfo sinfo;
  struct sockaddr_in from;
  socklen_t fromlen = sizeof from;
  int flags = 0;
  memset(&sinfo, 0xff, sizeof sinfo);
  int n = sctp_recvmsg(fd, buf, sizeof buf, (struct sockaddr *)&from, &fromlen, &sinfo, &flags);
  CHECK(n == (int)strlen(text) && memcmp(buf, text, n) == 0, "sctp_recvmsg returned %d for \"%s\"", n,
        text);
  CHECK(sinfo.sinfo_stream == sid, "\"%s\": stream %u, expected %u", text, sinfo.sinfo_stream, sid);
  CHECK(sinfo.sinfo_ppid == ppid, "\"%s\": ppid 0x%x, expected 0x%x", text, sinfo.sinfo_ppid, ppid);
  CHECK(flags & MSG_EOR, "\"%s\": flags 0x%x lack MSG_EOR", text, flags);
  CHECK(fromlen == sizeof from && from.sin_family == AF_INET, "\"%s\": from family %d", text,
        from.sin_family);
}

/* One message through sctp_recvv with SCTP_RECVRCVINFO on. */
static void expect_recvv(int fd, const char *text, uint16_t sid, uint32_t ppid) {
  char part1[2], part2[254];
  struct iovec iov[2] = {{part1, sizeof part1}, {part2, sizeof part2}};
  struct sctp_rcvinfo rcv;
  socklen_t infolen = sizeof rcv;
  unsigned int infotype = SCTP_RECVV_NOINFO;
  int flags = 0;
  int n = sctp_recvv(fd, iov, 2, NULL, NULL, &rcv, &infolen, &infotype, &flags);
  char whole[256];
  if (n > 0) {
    memcpy(whole, part1, n < 2 ? n : 2);
    if (n > 2) memcpy(whole + 2, part2, n - 2);
  }
  CHECK(n == (int)strlen(text) && memcmp(whole, text, n) == 0, "sctp_recvv returned %d for \"%s\"", n,
        text);
  CHECK(infotype == SCTP_RECVV_RCVINFO && infolen == sizeof rcv, "\"%s\": infotype %u, infolen %u",
        text, infotype, (unsigned)infolen);
  CHECK(rcv.rcv_sid == sid, "\"%s\": rcv_sid %u, expected %u", text, rcv.rcv_sid, sid);
  CHECK(rcv.rcv_ppid == ppid, "\"%s\": rcv_ppid 0x%x, expected 0x%x", text, rcv.rcv_ppid, ppid);
  CHECK(flags & MSG_EOR, "\"%s\": flags 0x%x lack MSG_EOR", text, flags);
}

static void check_one_addr(int count, struct sockaddr *addrs, uint16_t port, const char *what) {
  CHECK(count == 1, "%s returned %d addresses", what, count);
  struct sockaddr_in *a = (struct sockaddr_in *)addrs;
  CHECK(a->sin_family == AF_INET && a->sin_addr.s_addr == htonl(INADDR_LOOPBACK) &&
            ntohs(a->sin_port) == port,
        "%s: family %d, port %u, expected 127.0.0.1:%u", what, a->sin_family, ntohs(a->sin_port), port);
}

static void send_all_kinds(int cli) {
  CHECK(sctp_sendmsg(cli, "one", 3, NULL, 0, htonl(1111), 0, 1, 0, 0) == 3, "sctp_sendmsg");

  struct sctp_sndrcvinfo sinfo = {.sinfo_stream = 2, .sinfo_ppid = htonl(2222)};
  CHECK(sctp_send(cli, "two", 3, &sinfo, 0) == 3, "sctp_send");

  struct iovec iov[2] = {{"thr", 3}, {"ee", 2}};
  struct sctp_sndinfo snd = {.snd_sid = 3, .snd_ppid = htonl(3333)};
  CHECK(sctp_sendv(cli, iov, 2, NULL, 0, &snd, sizeof snd, SCTP_SENDV_SNDINFO, 0) == 5,
        "sctp_sendv(SNDINFO)");

  struct iovec four = {"four", 4};
  struct sctp_prinfo pr = {.pr_policy = SCTP_PR_SCTP_NONE};
  CHECK(sctp_sendv(cli, &four, 1, NULL, 0, &pr, sizeof pr, SCTP_SENDV_PRINFO, 0) == 4,
        "sctp_sendv(PRINFO)");

  struct iovec five = {"five", 4};
  struct sctp_sendv_spa spa;
  memset(&spa, 0, sizeof spa);
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID | SCTP_SEND_PRINFO_VALID;
  spa.sendv_sndinfo.snd_sid = 5;
  spa.sendv_sndinfo.snd_ppid = htonl(5555);
  spa.sendv_prinfo.pr_policy = SCTP_PR_SCTP_NONE;
  CHECK(sctp_sendv(cli, &five, 1, NULL, 0, &spa, sizeof spa, SCTP_SENDV_SPA, 0) == 4,
        "sctp_sendv(SPA)");
}

static void receive_all_kinds(int srv) {
  struct sctp_event_subscribe ev;
  memset(&ev, 0, sizeof ev);
  ev.sctp_data_io_event = 1;
  CHECK(setsockopt(srv, IPPROTO_SCTP, SCTP_EVENTS, &ev, sizeof ev) == 0, "SCTP_EVENTS");
  expect_recvmsg(srv, "one", 1, htonl(1111));
  expect_recvmsg(srv, "two", 2, htonl(2222));

  int on = 1;
  CHECK(setsockopt(srv, IPPROTO_SCTP, SCTP_RECVRCVINFO, &on, sizeof on) == 0, "SCTP_RECVRCVINFO");
  expect_recvv(srv, "three", 3, htonl(3333));
  expect_recvv(srv, "four", 0, 0);
  expect_recvv(srv, "five", 5, htonl(5555));
}

static void check_status_and_addrs(int cli, int srv, sctp_assoc_t id, uint16_t port) {
  struct sctp_status st;
  socklen_t len = sizeof st;
  memset(&st, 0, sizeof st);
  CHECK(sctp_opt_info(cli, 0, SCTP_STATUS, &st, &len) == 0, "sctp_opt_info(SCTP_STATUS)");
  CHECK(st.sstat_state == SCTP_ESTABLISHED, "state %d", st.sstat_state);
  CHECK(st.sstat_outstrms == kStreams && st.sstat_instrms == kStreams, "streams out %u in %u",
        st.sstat_outstrms, st.sstat_instrms);
  CHECK(st.sstat_assoc_id == id, "SCTP_STATUS id %d, sctp_connectx gave %d", st.sstat_assoc_id, id);

  struct sockaddr *addrs = NULL;
  int n = sctp_getpaddrs(cli, 0, &addrs);
  check_one_addr(n, addrs, port, "sctp_getpaddrs(client)");
  CHECK(sctp_freepaddrs(addrs) == 0, "sctp_freepaddrs");
  n = sctp_getladdrs(srv, 0, &addrs);
  check_one_addr(n, addrs, port, "sctp_getladdrs(server)");
  CHECK(sctp_freeladdrs(addrs) == 0, "sctp_freeladdrs");
  n = sctp_getpaddrs(srv, 0, &addrs);
  check_one_addr(n, addrs, local_port(cli), "sctp_getpaddrs(server)");
  sctp_freepaddrs(addrs);
  n = sctp_getladdrs(cli, 0, &addrs);
  check_one_addr(n, addrs, local_port(cli), "sctp_getladdrs(client)");
  sctp_freeladdrs(addrs);
}

int main(int argc, char **argv) {
  alarm(kWatchdogSeconds); /* a hang must fail, not stall the suite */
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc > 1) check_library(argv[1]);

  CHECK(sctp_getaddrlen(AF_INET) == sizeof(struct sockaddr_in), "sctp_getaddrlen(AF_INET)");
  CHECK(sctp_getaddrlen(AF_INET6) == sizeof(struct sockaddr_in6), "sctp_getaddrlen(AF_INET6)");

  int lsn = sctp_socket();
  struct sockaddr_in any = loopback(0);
  CHECK(bind(lsn, (struct sockaddr *)&any, sizeof any) == 0, "bind");
  CHECK(listen(lsn, 4) == 0, "listen");
  const uint16_t port = local_port(lsn);

  int cli = sctp_socket();
  struct sockaddr_in to = loopback(port);
  sctp_assoc_t id = -1;
  CHECK(sctp_connectx(cli, (struct sockaddr *)&to, 1, &id) == 0, "sctp_connectx to port %u", port);
  int srv = accept(lsn, NULL, NULL);
  CHECK(srv >= 0, "accept");

  send_all_kinds(cli);
  receive_all_kinds(srv);
  CHECK(sctp_sendmsg(srv, "back", 4, NULL, 0, htonl(4444), 0, 7, 0, 0) == 4, "sctp_sendmsg(server)");
  char buf[16];
  int flags = 0;
  CHECK(sctp_recvmsg(cli, buf, sizeof buf, NULL, NULL, NULL, &flags) == 4 && (flags & MSG_EOR),
        "sctp_recvmsg(client) without sinfo");
  check_status_and_addrs(cli, srv, id, port);

  CHECK(close(cli) == 0, "close(client)");
  flags = 0;
  CHECK(sctp_recvmsg(srv, buf, sizeof buf, NULL, NULL, NULL, &flags) == 0,
        "server sctp_recvmsg after the client closed: expected 0 (end of association)");
  close(srv);
  close(lsn);
  printf("PASS: sctp_sendmsg/send/sendv(SNDINFO, PRINFO, SPA), sctp_recvmsg/recvv(RCVINFO), "
         "sctp_opt_info(SCTP_STATUS), sctp_get/free{p,l}addrs, sctp_getaddrlen, sctp_connectx\n");
  return 0;
}
