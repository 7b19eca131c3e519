// SPDX-License-Identifier: MIT
// A blocking recv waits as the kernel's would, whichever thread ends the
// wait (the engine, or the application's own thread reading TCP: Socket::
// wait_readable): SO_RCVTIMEO gives EAGAIN, a signal whose handler lacks
// SA_RESTART gives EINTR, one with SA_RESTART does not end the wait. A
// blocking sender of large messages waiting for window room reads the ACKs
// (and whatever else comes) itself: nothing is lost or reordered either way.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <thread>

#include "api_util.hpp"

namespace sctpmap::test {
namespace {

using Clock = std::chrono::steady_clock;

void on_signal(int) {}

void catch_sigusr1(int flags) {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sa.sa_flags = flags;
  sigemptyset(&sa.sa_mask);
  ASSERT_EQ(sigaction(SIGUSR1, &sa, nullptr), 0);
}

// Interrupts `target` (blocked in recv) with SIGUSR1 after 100 ms; with
// `then_send`, sends "late" on `fd` 200 ms later.
std::thread interrupter(pthread_t target, int fd, bool then_send) {
  return std::thread([=] {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    pthread_kill(target, SIGUSR1);
    if (!then_send) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    EXPECT_EQ(sctp_sendmsg(fd, "late", 4, nullptr, 0, 0, 0, 0, 0, 0), 4);
  });
}

API_TEST(BlockingRecvHonoursRcvtimeo, 20) {
  Assoc a;
  make_assoc(a);
  timeval tv{0, 200'000};
  ASSERT_EQ(setsockopt(a.server, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
  char buf[16];
  const auto t0 = Clock::now();
  ssize_t n = recv(a.server, buf, sizeof buf, 0);
  const int err = errno;
  const auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
  EXPECT_EQ(n, -1);
  EXPECT_EQ(err, EAGAIN) << std::strerror(err);
  EXPECT_GE(waited, 150) << "returned before SO_RCVTIMEO";
  // The association is unharmed: a message sent now arrives whole.
  ASSERT_EQ(sctp_sendmsg(a.client, "ok", 2, nullptr, 0, 0, 0, 0, 0, 0), 2);
  n = recv(a.server, buf, sizeof buf, 0);
  ASSERT_EQ(n, 2) << std::strerror(errno);
  EXPECT_EQ(std::memcmp(buf, "ok", 2), 0);
}

API_TEST(BlockingRecvInterruptedWithoutSaRestart, 20) {
  Assoc a;
  make_assoc(a);
  catch_sigusr1(0);
  std::thread t = interrupter(pthread_self(), a.client, false);
  char buf[16];
  ssize_t n = recv(a.server, buf, sizeof buf, 0);
  const int err = errno;
  t.join();
  EXPECT_EQ(n, -1);
  EXPECT_EQ(err, EINTR) << std::strerror(err);
}

API_TEST(BlockingRecvRestartsWithSaRestart, 20) {
  Assoc a;
  make_assoc(a);
  catch_sigusr1(SA_RESTART);
  std::thread t = interrupter(pthread_self(), a.client, true);
  char buf[16];
  ssize_t n = recv(a.server, buf, sizeof buf, 0);
  const int err = errno;
  t.join();
  ASSERT_EQ(n, 4) << "the wait ended early: " << std::strerror(err);
  EXPECT_EQ(std::memcmp(buf, "late", 4), 0);
}

API_TEST(BlockedLargeSenderKeepsBothDirectionsInOrder, 60) {
  Assoc a;
  make_assoc(a, nullptr, [](int fd) {
    const int small = 32 * 1024;  // 64 KiB un-ACKed: four 16 KiB messages
    ASSERT_EQ(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
  });
  constexpr uint32_t kCount = 300;
  constexpr size_t kSize = 16 * 1024;
  auto numbered = [](uint32_t seq, size_t size) {
    std::vector<uint8_t> m = pattern(size, static_cast<uint8_t>(seq));
    std::memcpy(m.data(), &seq, sizeof seq);
    return m;
  };
  // The server reads slowly, so the client blocks for room again and again,
  // and it answers every tenth message, so data for the client arrives while
  // the client's thread is the one reading TCP.
  std::thread server([&] {
    for (uint32_t i = 0; i < kCount; ++i) {
      const Received r = receive(a.server, 70000, 10000);
      ASSERT_EQ(r.n, ssize_t(kSize)) << "message " << i;
      EXPECT_TRUE(r.data == numbered(i, kSize)) << "message " << i << " differs or is out of order";
      if (i % 10 == 0) ASSERT_EQ(send_message(a.server, numbered(i / 10, 100)), 100);
      if (i % 4 == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  });
  for (uint32_t i = 0; i < kCount; ++i) ASSERT_EQ(send_message(a.client, numbered(i, kSize)), int(kSize)) << i;
  server.join();
  for (uint32_t i = 0; i < kCount / 10; ++i) {
    const Received r = receive(a.client, 70000, 10000);
    ASSERT_EQ(r.n, 100) << "answer " << i;
    EXPECT_TRUE(r.data == numbered(i, 100)) << "answer " << i << " differs or is out of order";
  }
}

}  // namespace
}  // namespace sctpmap::test
