// SPDX-License-Identifier: MIT
// Notifications beyond the association's life cycle, in Linux's layouts:
// SCTP_SENDER_DRY_EVENT, SCTP_ADAPTATION_INDICATION, SCTP_REMOTE_ERROR and
// SCTP_PARTIAL_DELIVERY_EVENT (SCTP_PEER_ADDR_CHANGE needs a frozen peer
// process: tests/fault/fault_test.cpp). Where only a peer speaking the wire
// format directly can provoke an event (an ERROR chunk, an unknown chunk
// type, a connection reset in the middle of a fragmented message), the
// peer is a plain TCP socket in this process, which the preload leaves
// alone; its bytes are written out by hand from docs/PROTOCOL.md.
#include <arpa/inet.h>
#include <poll.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "api_util.hpp"
#include "harness.hpp"

namespace sctpmap::test {
namespace {

void send_all(int fd, const std::vector<uint8_t>& bytes) {
  ASSERT_EQ(send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL), ssize_t(bytes.size())) << std::strerror(errno);
}

// Reads exactly n bytes within the timeout (empty on EOF, error or timeout).
std::vector<uint8_t> read_exact(int fd, size_t n, int timeout_ms = 5000) {
  std::vector<uint8_t> out(n);
  size_t got = 0;
  while (got < n) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, timeout_ms) <= 0) return {};
    const ssize_t r = recv(fd, out.data() + got, n - got, 0);
    if (r <= 0) return {};
    got += size_t(r);
  }
  return out;
}

// One chunk from a raw connection, padding consumed: header and value.
std::vector<uint8_t> read_chunk(int fd) {
  std::vector<uint8_t> header = read_exact(fd, 4);
  if (header.empty()) return {};
  const size_t length = size_t(header[2] << 8 | header[3]);
  const size_t padded = (length + 3) & ~size_t{3};
  std::vector<uint8_t> rest = read_exact(fd, padded - 4);
  if (rest.size() != padded - 4) return {};
  header.insert(header.end(), rest.begin(), rest.begin() + long(length - 4));
  return header;
}

int raw_tcp_listener(uint16_t* port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  *port = listen_any(fd);
  return fd;
}

int raw_tcp_connect(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in sa = loopback(port);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa), 0) << std::strerror(errno);
  return fd;
}

// An SCTP one-to-one client connected to a raw TCP peer that sent `start`
// (its INIT and CAPABILITY) as soon as it accepted. `raw` gets the peer's end.
int client_to_raw_peer(const std::string& start, int* raw, void (*setup)(int)) {
  uint16_t port = 0;
  const int listener = raw_tcp_listener(&port);
  const int client = sctp_socket(SOCK_NONBLOCK);
  subscribe(client, Events{true, false, false});
  setup(client);
  sockaddr_in sa = loopback(port);
  EXPECT_EQ(connect(client, reinterpret_cast<sockaddr*>(&sa), sizeof sa), -1);
  EXPECT_EQ(errno, EINPROGRESS);
  *raw = accept(listener, nullptr, nullptr);
  close(listener);
  EXPECT_GE(*raw, 0) << std::strerror(errno);
  send_all(*raw, hex(start));
  EXPECT_EQ(next_event(client), "EVENT ASSOC_CHANGE COMM_UP error=0 in=10 out=10");
  return client;
}

void enable(int fd, uint16_t type) {
  sctp_event e{};
  e.se_type = type;
  e.se_on = 1;
  ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_EVENT, &e, sizeof e), 0) << std::strerror(errno);
}

// INIT with C, then CAPABILITY: 10 streams each way, features = `features`
// (4 bytes in hex), then `extra` 8-byte parameters written in `more`.
std::string raw_start(const char* features, int extra = 0, const char* more = "") {
  char length[8];
  std::snprintf(length, sizeof length, "%02x ", 0x14 + 8 * extra);
  return std::string("01 80 00 04  80 00 00 ") + length + "0001 0008 000a 000a 0002 0008 " + features + " " + more;
}

API_TEST(SenderDryAtOnceThenAfterEachDrain, 60) {
  Assoc a;
  make_assoc(a);
  // Nothing sent yet: dry at once on subscription (Linux's sctp_setsockopt_event).
  enable(a.client, SCTP_SENDER_DRY_EVENT);
  EXPECT_EQ(next_event(a.client), "EVENT SENDER_DRY");
  // A message the server has not read is outstanding: not dry.
  ASSERT_EQ(send_message(a.client, pattern(500)), 500);
  EXPECT_EQ(next_event(a.client, 300), "NOTHING within 300 ms");
  const Received got = receive(a.server);
  ASSERT_EQ(got.n, 500);
  EXPECT_EQ(next_event(a.client, 10000), "EVENT SENDER_DRY");
  // Again after the next one; the server never sent, and never subscribed.
  ASSERT_EQ(send_message(a.client, pattern(70)), 70);
  ASSERT_EQ(receive(a.server).n, 70);
  EXPECT_EQ(next_event(a.client, 10000), "EVENT SENDER_DRY");
  EXPECT_EQ(next_event(a.server, 300), "NOTHING within 300 ms");
  // Through SCTP_EVENTS too: turning it off and on again reports at once.
  sctp_event_subscribe ev{};
  ev.sctp_data_io_event = 1;
  ASSERT_EQ(setsockopt(a.client, SOL_SCTP, SCTP_EVENTS, &ev, sizeof ev), 0);
  ev.sctp_sender_dry_event = 1;
  ASSERT_EQ(setsockopt(a.client, SOL_SCTP, SCTP_EVENTS, &ev, sizeof ev), 0);
  EXPECT_EQ(next_event(a.client), "EVENT SENDER_DRY");
}

API_TEST(SenderDryOnOneToManyForTheNamedAssociation, 60) {
  const int server = many_socket();
  subscribe(server, Events{});
  const uint16_t port = listen_any(server);
  const int client = many_socket();
  subscribe(client, Events{});
  sockaddr_in to = loopback(port);
  sctp_assoc_t id = 0;
  ASSERT_EQ(sctp_connectx(client, reinterpret_cast<sockaddr*>(&to), 1, &id), 0) << std::strerror(errno);
  ASSERT_GT(id, 0);
  sctp_event e{};
  e.se_assoc_id = id;
  e.se_type = SCTP_SENDER_DRY_EVENT;
  e.se_on = 1;
  ASSERT_EQ(setsockopt(client, SOL_SCTP, SCTP_EVENT, &e, sizeof e), 0) << std::strerror(errno);
  const Received r = receive(client);
  ASSERT_TRUE(r.notification()) << r.n;
  ASSERT_EQ(r.data.size(), sizeof(sctp_sender_dry_event));
  sctp_sender_dry_event dry;
  std::memcpy(&dry, r.data.data(), sizeof dry);
  EXPECT_EQ(dry.sender_dry_type, SCTP_SENDER_DRY_EVENT);
  EXPECT_EQ(dry.sender_dry_length, sizeof dry);
  EXPECT_EQ(dry.sender_dry_assoc_id, id);
  // Off, then on for SCTP_ALL_ASSOC: every dry association reports again.
  e.se_on = 0;
  ASSERT_EQ(setsockopt(client, SOL_SCTP, SCTP_EVENT, &e, sizeof e), 0);
  e.se_on = 1;
  e.se_assoc_id = SCTP_ALL_ASSOC;
  ASSERT_EQ(setsockopt(client, SOL_SCTP, SCTP_EVENT, &e, sizeof e), 0);
  const Received again = receive(client);
  ASSERT_TRUE(again.notification()) << again.n;
  std::memcpy(&dry, again.data.data(), sizeof dry);
  EXPECT_EQ(dry.sender_dry_type, SCTP_SENDER_DRY_EVENT);
  EXPECT_EQ(dry.sender_dry_assoc_id, id);
  close(client);
  close(server);
}

API_TEST(AdaptationIndicationFollowsCommUp, 60) {
  Assoc a;
  make_assoc(
      a,
      [](int fd) {
        subscribe(fd, Events{true, false, false});
        sctp_setadaptation ad{0x01020304};
        ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_ADAPTATION_LAYER, &ad, sizeof ad), 0);
        enable(fd, SCTP_ADAPTATION_INDICATION);
      },
      [](int fd) {
        subscribe(fd, Events{true, false, false});
        sctp_setadaptation ad{7};
        ASSERT_EQ(setsockopt(fd, SOL_SCTP, SCTP_ADAPTATION_LAYER, &ad, sizeof ad), 0);
        enable(fd, SCTP_ADAPTATION_INDICATION);
      });
  // Each side hears the other's indication right after COMM_UP, whole.
  EXPECT_EQ(next_event(a.client), "EVENT ASSOC_CHANGE COMM_UP error=0 in=10 out=10");
  const Received c = receive(a.client);
  ASSERT_TRUE(c.notification());
  ASSERT_EQ(c.data.size(), sizeof(sctp_adaptation_event));
  sctp_adaptation_event ev;
  std::memcpy(&ev, c.data.data(), sizeof ev);
  EXPECT_EQ(ev.sai_type, SCTP_ADAPTATION_INDICATION);
  EXPECT_EQ(ev.sai_length, sizeof ev);
  EXPECT_EQ(ev.sai_adaptation_ind, 0x01020304u);
  EXPECT_NE(ev.sai_assoc_id, 0);
  EXPECT_EQ(next_event(a.server), "EVENT ASSOC_CHANGE COMM_UP error=0 in=10 out=10");
  EXPECT_EQ(next_event(a.server), "EVENT ADAPTATION ind=7");
}

API_TEST(NoAdaptationIndicationWhenThePeerSetNone, 60) {
  Assoc a;
  make_assoc(a, nullptr, [](int fd) {
    subscribe(fd, Events{true, false, false});
    enable(fd, SCTP_ADAPTATION_INDICATION);
  });
  EXPECT_EQ(next_event(a.client), "EVENT ASSOC_CHANGE COMM_UP error=0 in=10 out=10");
  EXPECT_EQ(next_event(a.client, 300), "NOTHING within 300 ms");
}

API_TEST(RemoteErrorFromThePeersErrorChunk, 60) {
  int raw = -1;
  const int client = client_to_raw_peer(raw_start("0000 0002"), &raw,
                                        [](int fd) { enable(fd, SCTP_REMOTE_ERROR); });
  // ERROR chunk, two causes: Unrecognized Chunk Type carrying a 6-byte
  // chunk, then cause 1 with one byte of info.
  send_all(raw, hex("82 00 00 15  0006 000a c5 07 00 06 ab cd 00 00  0001 0005 ee 00 00 00"));
  const Received first = receive(client);
  ASSERT_TRUE(first.notification()) << first.n;
  // sre_data is the cause's info padded to 4, as Linux.
  ASSERT_EQ(first.data.size(), sizeof(sctp_remote_error) + 8);
  sctp_remote_error sre;
  std::memcpy(&sre, first.data.data(), sizeof sre);
  EXPECT_EQ(sre.sre_type, SCTP_REMOTE_ERROR);
  EXPECT_EQ(sre.sre_length, sizeof sre + 8);
  EXPECT_EQ(ntohs(sre.sre_error), 6);  // network byte order, as Linux
  EXPECT_NE(sre.sre_assoc_id, 0);
  EXPECT_EQ(std::vector<uint8_t>(first.data.begin() + long(sizeof sre), first.data.end()),
            hex("c5 07 00 06 ab cd 00 00"));
  const Received second = receive(client);
  ASSERT_TRUE(second.notification());
  std::memcpy(&sre, second.data.data(), sizeof sre);
  EXPECT_EQ(ntohs(sre.sre_error), 1);
  ASSERT_EQ(second.data.size(), sizeof sre + 4);
  EXPECT_EQ(std::vector<uint8_t>(second.data.begin() + long(sizeof sre), second.data.end()), hex("ee 00 00 00"));
  close(raw);
  close(client);
}

API_TEST(UnrecognizedChunkReportedOnlyToPeersReadingErrors, 60) {
  const int listener = sctp_socket();
  subscribe(listener, Events{});
  const uint16_t port = listen_any(listener);
  for (const bool reads_errors : {true, false}) {
    SCOPED_TRACE(reads_errors ? "peer announced ERROR" : "peer did not");
    const int raw = raw_tcp_connect(port);
    send_all(raw, hex(raw_start(reads_errors ? "0000 0002" : "0000 0000")));
    // A newer peer's chunk type 0xC5 (skip and report), then a HEARTBEAT
    // whose answer shows the association went on.
    send_all(raw, hex("c5 07 00 06 ab cd 00 00  04 00 00 09 0001 0005 77 00 00 00"));
    const std::vector<uint8_t> init = read_chunk(raw);
    EXPECT_EQ(init, hex("01 80 00 04"));
    const std::vector<uint8_t> cap = read_chunk(raw);
    ASSERT_FALSE(cap.empty());
    EXPECT_EQ(cap[0], 0x80);
    if (reads_errors) {
      EXPECT_EQ(read_chunk(raw), hex("82 00 00 0e 0006 000a c5 07 00 06 ab cd"));
    }
    EXPECT_EQ(read_chunk(raw), hex("05 00 00 09 0001 0005 77"));
    close(raw);
  }
  close(listener);
}

// DATA on stream 20 of the 10 we announced, from a peer that reads ERROR
// chunks: as Linux, the message is dropped (the application never sees
// it), the peer gets cause 1 with the stream and an ACK for its TSN, in
// order, and the association goes on: the next message arrives.
API_TEST(InvalidStreamAnsweredWithCause1, 60) {
  int raw = -1;
  const int client = client_to_raw_peer(raw_start("0000 0002"), &raw, [](int) {});
  // Whole messages, every field (no fragmentation announced): TSN 0 on
  // stream 20, TSN 1 on stream 1, PPID 7.
  send_all(raw, hex("00 00 00 12 00000000 0014 0000 00000007 aa bb 00 00"
                    "00 00 00 12 00000001 0001 0000 00000007 cc dd 00 00"));
  const Received r = receive(client);
  ASSERT_EQ(r.n, 2) << "err=" << r.err;
  EXPECT_EQ(r.data, hex("cc dd"));
  EXPECT_EQ(r.sinfo.sinfo_stream, 1);
  EXPECT_EQ(read_chunk(raw), hex("01 80 00 04"));
  ASSERT_EQ(read_chunk(raw)[0], 0x80);  // our CAPABILITY
  EXPECT_EQ(read_chunk(raw), hex("82 00 00 0c 0001 0008 0014 0000"));
  EXPECT_EQ(read_chunk(raw), hex("03 00 00 08 00000000"));  // within 1 ms of the take
  EXPECT_EQ(read_chunk(raw), hex("03 00 00 08 00000001"));
  EXPECT_EQ(receive(client, 4096, 200).n, -2) << "the dropped message never comes";
  close(raw);
  close(client);
}

API_TEST(PartialDeliveryAbortedBeforeCommLost, 60) {
  int raw = -1;
  // Fragmentation offered (features 0x3, max message 4 MiB).
  const int client = client_to_raw_peer(raw_start("0000 0003", 1, "0003 0008 0040 0000"), &raw, [](int fd) {
    enable(fd, SCTP_PARTIAL_DELIVERY_EVENT);
    sctp_event_subscribe ev{};
    socklen_t len = sizeof ev;
    ASSERT_EQ(getsockopt(fd, SOL_SCTP, SCTP_EVENTS, &ev, &len), 0);
    EXPECT_EQ(ev.sctp_partial_delivery_event, 1);
  });
  // The first fragment of a larger message (B, TSN 0, stream 2, SSN 0,
  // PPID 9), then the peer's connection is reset before the rest.
  std::vector<uint8_t> first = hex("00 02 ff ff  00000000 0002 0000 00000009");
  const std::vector<uint8_t> payload = pattern(65519);
  first.insert(first.end(), payload.begin(), payload.end());
  first.push_back(0);
  send_all(raw, first);
  Received part = receive(client, 1000);
  ASSERT_EQ(part.n, 1000);
  EXPECT_FALSE(part.flags & MSG_EOR);
  EXPECT_FALSE(part.flags & MSG_NOTIFICATION);
  linger lg{1, 0};
  ASSERT_EQ(setsockopt(raw, SOL_SOCKET, SO_LINGER, &lg, sizeof lg), 0);
  close(raw);
  // The rest of what arrived, never with MSG_EOR, then the notification.
  size_t data = part.data.size();
  Received r;
  for (;;) {
    r = receive(client, 70000, 10000);
    ASSERT_GT(r.n, 0);
    if (r.notification()) break;
    EXPECT_FALSE(r.flags & MSG_EOR);
    data += size_t(r.n);
  }
  EXPECT_EQ(data, payload.size());
  ASSERT_EQ(r.data.size(), sizeof(sctp_pdapi_event));
  sctp_pdapi_event pd;
  std::memcpy(&pd, r.data.data(), sizeof pd);
  EXPECT_EQ(pd.pdapi_type, SCTP_PARTIAL_DELIVERY_EVENT);
  EXPECT_EQ(pd.pdapi_length, sizeof pd);
  EXPECT_EQ(pd.pdapi_indication, uint32_t(SCTP_PARTIAL_DELIVERY_ABORTED));
  EXPECT_EQ(pd.pdapi_stream, 2u);
  EXPECT_EQ(pd.pdapi_seq, 0u);
  EXPECT_NE(pd.pdapi_assoc_id, 0);
  EXPECT_EQ(next_event(client), "EVENT ASSOC_CHANGE COMM_LOST error=0 in=0 out=0");
  close(client);
}

}  // namespace
}  // namespace sctpmap::test
