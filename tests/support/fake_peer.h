#pragma once
// A TCP peer on loopback that is not Redis: for each connection it sends a
// fixed reply (on accept, or after the client's first bytes), then closes or
// keeps the connection open without a word. It serves connections one after
// another until it is destroyed; every wait of its thread is bounded.

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace ttg::testing {

class FakePeer {
 public:
  enum class When { kOnAccept, kAfterRequest };
  enum class Then { kClose, kKeepOpen };

  // Listens on a free loopback port; fails the current test (ADD_FAILURE)
  // when it cannot. An empty `reply` sends nothing.
  FakePeer(std::string reply, When when, Then then);
  FakePeer(std::string reply, Then then) : FakePeer(std::move(reply), When::kAfterRequest, then) {}
  ~FakePeer();
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;

  int port() const { return port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "redis://" + address(); }
  // Connections accepted so far (a client's tries).
  int accepted() const { return accepted_.load(); }

 private:
  void serve();
  // Waits until `fd` is readable, the peer is destroyed, or 10 s pass.
  bool wait_readable(int fd) const;

  std::string reply_;
  When when_;
  Then then_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::vector<int> open_;  // kept-open connections, closed at the end
  std::atomic<bool> stop_{false};
  std::atomic<int> accepted_{0};
  std::thread thread_;
};

}  // namespace ttg::testing
