#include "support/fake_peer.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>

namespace ttg::testing {

FakePeer::FakePeer(std::string reply, When when, Then then)
    : reply_(std::move(reply)), when_(when), then_(then) {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  if (listen_fd_ < 0 || ::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      ::listen(listen_fd_, 16) != 0 ||
      ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ADD_FAILURE() << "fake peer: cannot listen";
    return;
  }
  port_ = ntohs(addr.sin_port);
  thread_ = std::thread([this] { serve(); });
}

FakePeer::~FakePeer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  for (int fd : open_) ::close(fd);
  if (listen_fd_ >= 0) ::close(listen_fd_);
}

bool FakePeer::wait_readable(int fd) const {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!stop_ && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 20) > 0) return true;
  }
  return false;
}

void FakePeer::serve() {
  auto send_reply = [this](int conn) {
    if (!reply_.empty()) (void)::send(conn, reply_.data(), reply_.size(), MSG_NOSIGNAL);
  };
  while (!stop_) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (::poll(&p, 1, 20) <= 0) continue;
    int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (conn < 0) continue;
    accepted_.fetch_add(1);
    if (when_ == When::kOnAccept) send_reply(conn);
    // The client's first command.
    char buf[4096];
    if (wait_readable(conn)) (void)::read(conn, buf, sizeof(buf));
    if (when_ == When::kAfterRequest) send_reply(conn);
    if (then_ == Then::kClose) {
      ::close(conn);
    } else {
      open_.push_back(conn);
    }
  }
}

}  // namespace ttg::testing
