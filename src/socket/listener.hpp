// SPDX-License-Identifier: MIT
// The engine side of a listening one-to-one socket: accepts TCP connections,
// runs each association until COMM_UP, then queues it for accept(): the new
// socket's application end travels to the application through the listening
// pair with SCM_RIGHTS, so blocking, non-blocking and poll()-driven accept all
// behave natively. Reactor thread only.
#pragma once

#include <deque>
#include <memory>
#include <vector>

#include "engine/reactor.hpp"
#include "socket/socket.hpp"

namespace sctpmap::socket {

class Listener final : public engine::FdHandler {
 public:
  // One listening TCP socket per bound address (sctp_bindx); takes ownership.
  Listener(std::shared_ptr<Socket> sock, std::vector<int> tcp_listen_fds);
  void begin();
  // An accepted association reached COMM_UP: queue it for accept().
  void offer(std::shared_ptr<Socket> accepted);
  void on_ready(int fd, uint32_t revents) override;

 private:
  ~Listener() = default;
  void accept_all(int listen_fd);
  void flush();
  void close_all();

  struct Port final : engine::FdHandler {
    Listener* l;
    explicit Port(Listener* x) : l(x) {}
    void on_ready(int, uint32_t) override;
  };

  std::shared_ptr<Socket> sock_;
  std::vector<int> tcps_;
  int pair_ = -1;
  engine::Reactor& reactor_;
  std::vector<engine::Watch*> tcp_ins_;
  engine::Watch* pair_in_ = nullptr;
  engine::Watch* pair_out_ = nullptr;
  Port pair_port_{this};
  Port pair_out_port_{this};
  std::deque<std::shared_ptr<Socket>> ready_;  // COMM_UP, not yet handed over
  bool closed_ = false;
};

// accept() side: the socket registered under `id` when its fd was sent.
std::shared_ptr<Socket> take_accepted(uint64_t id);

}  // namespace sctpmap::socket
