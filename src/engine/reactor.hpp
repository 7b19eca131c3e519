// SPDX-License-Identifier: MIT
// The io_uring reactor: one thread per process, started on first use. It owns
// readiness watches (io_uring multishot/one-shot POLL_ADD), timers and the
// queue of tasks posted by application threads. It knows nothing of SCTP.
//
// Threads: post() and call() may be used from any thread; everything else only
// from the reactor thread (inside a task, handler or timer callback).
#pragma once

#include <liburing.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "assoc/instant.hpp"

namespace sctpmap::engine {

class FdHandler {
 public:
  // `revents` is the poll mask that fired, or POLLERR with `res` < 0 when the
  // poll itself failed.
  virtual void on_ready(int fd, uint32_t revents) = 0;

 protected:
  ~FdHandler() = default;
};

class TimerHandler {
 public:
  virtual void on_timer(Instant now) = 0;

 protected:
  ~TimerHandler() = default;
};

struct Watch;

class Reactor {
 public:
  using Task = std::function<void()>;

  // The process-wide reactor, started on first call. Never destroyed: the
  // at-exit drain (drain_at_exit) runs instead, so no handler outlives it.
  static Reactor& instance();
  // True once instance() has started a reactor in this process.
  static bool running();

  void post(Task task);
  // Like post(), but a sleeping reactor is woken for it only at `by` (a
  // timerfd instead of the eventfd): work that may wait a little, such as
  // ACKs or the tail of a batch of small messages, then costs no wake-up of
  // its own whenever the reactor wakes for something else first, and a burst
  // of such posts costs at most one.
  void post_by(Task task, Instant by);
  // Runs `fn` on the reactor thread and waits for it. Not from the reactor thread.
  void call(const Task& fn);
  bool on_reactor_thread() const { return std::this_thread::get_id() == thread_id_; }

  // Reactor thread only.
  // A one-shot watch is freed after its handler ran: drop the pointer there.
  // A multishot watch lives until cancel().
  Watch* watch(int fd, uint32_t events, FdHandler* handler, bool multishot);
  void cancel(Watch* w);  // handler is never called again; `w` becomes invalid
  uint64_t schedule(Instant when, TimerHandler* handler);
  void cancel_timer(uint64_t token);
  Instant now() const;

  // Registers hooks for process exit: `start` runs on the reactor thread, then
  // exit waits until `done()` returns true or SCTPMAP_EXIT_LINGER_MS passes,
  // in which case `report` logs what was left.
  void set_exit_drain(std::function<void()> start, std::function<bool()> done, std::function<void()> report);

 private:
  Reactor();
  void run();
  void submit_poll(Watch* w);
  void handle_cqe(io_uring_cqe* cqe);
  void run_tasks();
  void run_timers();
  int next_timeout_ms_ns(__kernel_timespec* ts);
  io_uring_sqe* get_sqe();
  static void at_exit();
  static void at_fork_child();

  io_uring ring_{};
  int wake_fd_ = -1;
  int lazy_fd_ = -1;  // timerfd of post_within
  std::thread thread_;
  std::thread::id thread_id_;

  std::mutex tasks_mu_;
  std::vector<Task> tasks_;
  bool wake_pending_ = false;
  bool lazy_armed_ = false;  // lazy_fd_ runs (until lazy_by_) for tasks_ not yet drained
  Instant lazy_by_{};
  std::atomic<bool> sleeping_{false};  // between the last task check and the wait's return

  std::multimap<Instant, std::pair<uint64_t, TimerHandler*>> timers_;
  std::unordered_map<uint64_t, std::multimap<Instant, std::pair<uint64_t, TimerHandler*>>::iterator> timer_index_;
  uint64_t next_timer_ = 1;

  std::function<void()> drain_start_;
  std::function<bool()> drain_done_;
  std::function<void()> drain_report_;
};

}  // namespace sctpmap::engine
