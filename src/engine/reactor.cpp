// SPDX-License-Identifier: MIT
#include "engine/reactor.hpp"

#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>

#include "common/log.hpp"
#include "common/sys.hpp"

namespace sctpmap::engine {

struct Watch {
  int fd = -1;
  uint32_t events = 0;
  FdHandler* handler = nullptr;
  bool multishot = false;
  bool active = false;     // a poll request is in the kernel
  bool cancelled = false;  // owner gave it up; freed at its final completion
  bool firing = false;     // a one-shot watch's handler is running; freed after it
};

namespace {

std::mutex g_instance_mu;
std::atomic<Reactor*> g_reactor{nullptr};

class WakeHandler final : public FdHandler {
 public:
  void on_ready(int fd, uint32_t) override {
    uint64_t v;
    [[maybe_unused]] ssize_t r = sys::read(fd, &v, sizeof v);
  }
};
WakeHandler g_wake_handler;

int exit_linger_ms() {
  const char* v = std::getenv("SCTPMAP_EXIT_LINGER_MS");
  return v ? std::atoi(v) : 3000;
}

}  // namespace

Reactor& Reactor::instance() {
  if (Reactor* r = g_reactor.load(std::memory_order_acquire)) return *r;
  std::lock_guard lock(g_instance_mu);
  if (Reactor* r = g_reactor.load(std::memory_order_relaxed)) return *r;
  static bool hooks_installed = false;
  if (!hooks_installed) {
    hooks_installed = true;
    std::atexit(&Reactor::at_exit);
    pthread_atfork(nullptr, nullptr, &Reactor::at_fork_child);
  }
  // Deliberately leaked: handlers may run until the process image is gone.
  auto* r = new Reactor();
  g_reactor.store(r, std::memory_order_release);
  return *r;
}

bool Reactor::running() { return g_reactor.load(std::memory_order_acquire) != nullptr; }

// The ring is created on the reactor thread itself: with
// IORING_SETUP_SINGLE_ISSUER only the creating task may submit.
static void init_ring(io_uring* ring) {
  io_uring_params p{};
  p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_SINGLE_ISSUER;
  int rc = io_uring_queue_init_params(512, ring, &p);
  if (rc == -EINVAL) {
    p = io_uring_params{};
    rc = io_uring_queue_init_params(512, ring, &p);
  }
  if (rc < 0) {
    SCTPMAP_LOG(kError, "io_uring_queue_init failed: %s", strerror(-rc));
    std::abort();  // no engine, no emulated sockets: nothing sensible remains
  }
  // A fork()ed child must not inherit the ring's mappings: they would keep
  // the ring alive after the parent exits, and with it every armed poll's
  // reference to the parent's TCP sockets and pairs, so their peers would
  // never see the end (found with sctp_status, whose child outlives it).
  rc = io_uring_ring_dontfork(ring);
  if (rc < 0) SCTPMAP_LOG(kWarn, "io_uring_ring_dontfork failed: %s", strerror(-rc));
}

Reactor::Reactor() {
  wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  lazy_fd_ = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  std::mutex started_mu;
  std::condition_variable started_cv;
  bool started = false;
  thread_ = std::thread([&] {
    {
      std::lock_guard lock(started_mu);
      init_ring(&ring_);
      thread_id_ = std::this_thread::get_id();
      watch(wake_fd_, POLLIN, &g_wake_handler, true);  // lives as long as the reactor
      watch(lazy_fd_, POLLIN, &g_wake_handler, true);  // reading a timerfd clears it as an eventfd's read does
      started = true;
    }
    started_cv.notify_one();
    run();
  });
  std::unique_lock lock(started_mu);
  started_cv.wait(lock, [&] { return started; });
  pthread_setname_np(thread_.native_handle(), "sctpmap-engine");
}

Instant Reactor::now() const {
  return Instant::from_ns(std::chrono::duration_cast<std::chrono::nanoseconds>(
                              std::chrono::steady_clock::now().time_since_epoch())
                              .count());
}

void Reactor::post(Task task) {
  bool wake = false;
  {
    std::lock_guard lock(tasks_mu_);
    tasks_.push_back(std::move(task));
    // Only a reactor about to sleep needs the eventfd; a busy one runs the
    // task on its next turn (it checks tasks_ after announcing sleep).
    if (!wake_pending_ && !on_reactor_thread() && sleeping_.load()) {
      wake_pending_ = true;
      wake = true;
    }
  }
  if (wake) {
    uint64_t one = 1;
    [[maybe_unused]] ssize_t r = sys::write(wake_fd_, &one, sizeof one);
  }
}

void Reactor::post_by(Task task, Instant by) {
  std::lock_guard lock(tasks_mu_);
  tasks_.push_back(std::move(task));
  // As post(): a busy reactor runs it on its next turn. A timer left from an
  // earlier arm only costs one spurious wake-up. Armed under the lock, so
  // that of two racing posts the earlier deadline is the one that stays.
  if (wake_pending_ || on_reactor_thread() || !sleeping_.load() || (lazy_armed_ && lazy_by_ <= by)) return;
  lazy_armed_ = true;
  lazy_by_ = by;
  // now() is CLOCK_MONOTONIC (steady_clock), as the timerfd.
  itimerspec t{};
  t.it_value.tv_sec = static_cast<time_t>(by.ns / 1'000'000'000);
  t.it_value.tv_nsec = std::max(1L, static_cast<long>(by.ns % 1'000'000'000));  // zero would disarm
  ::timerfd_settime(lazy_fd_, TFD_TIMER_ABSTIME, &t, nullptr);
}

void Reactor::call(const Task& fn) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  post([&] {
    fn();
    std::lock_guard lock(mu);
    done = true;
    cv.notify_one();
  });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
}

io_uring_sqe* Reactor::get_sqe() {
  io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
  while (!sqe) {
    io_uring_submit(&ring_);
    sqe = io_uring_get_sqe(&ring_);
  }
  return sqe;
}

void Reactor::submit_poll(Watch* w) {
  io_uring_sqe* sqe = get_sqe();
  if (w->multishot) {
    io_uring_prep_poll_multishot(sqe, w->fd, w->events);
  } else {
    io_uring_prep_poll_add(sqe, w->fd, w->events);
  }
  io_uring_sqe_set_data(sqe, w);
  w->active = true;
}

Watch* Reactor::watch(int fd, uint32_t events, FdHandler* handler, bool multishot) {
  auto* w = new Watch{fd, events, handler, multishot};
  submit_poll(w);
  return w;
}

void Reactor::cancel(Watch* w) {
  if (!w) return;
  w->handler = nullptr;
  if (w->firing) return;  // handle_cqe frees it when the handler returns
  if (!w->active) {
    delete w;
    return;
  }
  w->cancelled = true;
  io_uring_sqe* sqe = get_sqe();
  io_uring_prep_poll_remove(sqe, reinterpret_cast<__u64>(w));
  io_uring_sqe_set_data(sqe, nullptr);
}

uint64_t Reactor::schedule(Instant when, TimerHandler* handler) {
  uint64_t token = next_timer_++;
  auto it = timers_.emplace(when, std::make_pair(token, handler));
  timer_index_.emplace(token, it);
  return token;
}

void Reactor::cancel_timer(uint64_t token) {
  auto it = timer_index_.find(token);
  if (it == timer_index_.end()) return;
  timers_.erase(it->second);
  timer_index_.erase(it);
}

void Reactor::handle_cqe(io_uring_cqe* cqe) {
  auto* w = static_cast<Watch*>(io_uring_cqe_get_data(cqe));
  if (!w) return;  // completion of a poll_remove
  const bool more = (cqe->flags & IORING_CQE_F_MORE) != 0;
  if (!more) w->active = false;
  if (w->cancelled) {
    if (!more) delete w;
    return;
  }
  const int res = cqe->res;
  // A multishot poll can end on its own (e.g. CQ overflow): re-arm it.
  if (!more && w->multishot && res >= 0) submit_poll(w);
  uint32_t revents = res < 0 ? POLLERR : static_cast<uint32_t>(res);
  int fd = w->fd;
  if (!w->multishot && !more) {
    // A one-shot watch is done once it fired: free it after its handler.
    w->firing = true;
    if (w->handler) w->handler->on_ready(fd, revents);
    delete w;
    return;
  }
  if (w->handler) w->handler->on_ready(fd, revents);  // may cancel `w`
}

void Reactor::run_tasks() {
  std::vector<Task> batch;
  {
    std::lock_guard lock(tasks_mu_);
    batch.swap(tasks_);
    wake_pending_ = false;
    lazy_armed_ = false;
  }
  for (auto& t : batch) t();
}

void Reactor::run_timers() {
  if (timers_.empty()) return;
  Instant t = now();
  while (!timers_.empty() && timers_.begin()->first <= t) {
    auto [token, handler] = timers_.begin()->second;
    timer_index_.erase(token);
    timers_.erase(timers_.begin());
    handler->on_timer(t);
  }
}

int Reactor::next_timeout_ms_ns(__kernel_timespec* ts) {
  sleeping_.store(true);  // seq_cst: pairs with post()'s load after its push
  {
    std::lock_guard lock(tasks_mu_);
    if (!tasks_.empty()) {
      ts->tv_sec = 0;
      ts->tv_nsec = 0;
      return 1;
    }
  }
  if (timers_.empty()) return 0;
  Duration d = timers_.begin()->first - now();
  if (d.count() < 0) d = Duration{0};
  ts->tv_sec = d.count() / 1'000'000'000;
  ts->tv_nsec = d.count() % 1'000'000'000;
  return 1;
}

void Reactor::run() {
  for (;;) {
    run_tasks();
    run_timers();
    __kernel_timespec ts{};
    io_uring_cqe* cqe = nullptr;
    bool has_timeout = next_timeout_ms_ns(&ts) != 0;
    int rc = io_uring_submit_and_wait_timeout(&ring_, &cqe, 1, has_timeout ? &ts : nullptr, nullptr);
    sleeping_.store(false);
    if (rc < 0 && rc != -ETIME && rc != -EINTR && rc != -EAGAIN && rc != -EBUSY) {
      SCTPMAP_LOG(kError, "io_uring wait failed: %s", strerror(-rc));
    }
    unsigned head;
    unsigned seen = 0;
    io_uring_for_each_cqe(&ring_, head, cqe) {
      handle_cqe(cqe);
      ++seen;
    }
    io_uring_cq_advance(&ring_, seen);
  }
}

void Reactor::set_exit_drain(std::function<void()> start, std::function<bool()> done,
                             std::function<void()> report) {
  drain_start_ = std::move(start);
  drain_done_ = std::move(done);
  drain_report_ = std::move(report);
}

void Reactor::at_exit() {
  Reactor* r = g_reactor.load(std::memory_order_acquire);
  if (!r || r->on_reactor_thread()) return;
  // Like the kernel, finish graceful shutdowns of associations the process
  // still had open, for a bounded time: data the application handed to
  // sendmsg() before exit() must not be lost in our queues.
  std::atomic<bool> done{false};
  r->call([&] {
    if (r->drain_start_) r->drain_start_();
  });
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(exit_linger_ms());
  while (std::chrono::steady_clock::now() < deadline) {
    r->call([&] { done = !r->drain_done_ || r->drain_done_(); });
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  SCTPMAP_LOG(kWarn, "exit: linger of %d ms expired with associations still draining", exit_linger_ms());
  r->call([&] {
    if (r->drain_report_) r->drain_report_();
  });
}

void Reactor::at_fork_child() {
  // The child has no reactor thread. Drop (and leak) the parent's reactor so a
  // new one starts on first use; never touch the parent's ring (its memory is
  // shared with the parent through the mmap).
  Reactor* r = g_reactor.load(std::memory_order_relaxed);
  if (!r) return;
  sys::close(r->ring_.ring_fd);
  sys::close(r->wake_fd_);
  sys::close(r->lazy_fd_);
  new (&g_instance_mu) std::mutex();
  g_reactor.store(nullptr, std::memory_order_relaxed);
}

}  // namespace sctpmap::engine
