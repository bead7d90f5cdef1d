// The exec kernel: a user's program, started once per compute slot, that
// reads one JSON object per line on its stdin and answers one per line on its
// stdout.

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <thread>

#include "kernels/answer_reader.h"
#include "kernels/builtin.h"
#include "kernels/command_line.h"
#include "util/fd.h"
#include "util/process.h"

namespace ttg::kernels {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// How much of the program's stderr an error message carries.
constexpr size_t kStderrTail = 2048;

// Blocks SIGPIPE in this thread while it lives, so that a write to a program
// that has exited fails with EPIPE instead of killing the worker. SIGPIPE for
// a write is sent to the writing thread, so a signal raised meanwhile is
// pending on this thread and is consumed here.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigemptyset(&pipe_);
    sigaddset(&pipe_, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_, &old_);
  }
  SigpipeBlock(const SigpipeBlock&) = delete;
  SigpipeBlock& operator=(const SigpipeBlock&) = delete;
  ~SigpipeBlock() {
    sigset_t pending;
    if (!sigismember(&old_, SIGPIPE) && sigpending(&pending) == 0 &&
        sigismember(&pending, SIGPIPE)) {
      timespec zero{0, 0};
      sigtimedwait(&pipe_, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t pipe_{};
  sigset_t old_{};
};

Status set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    return make_error(ErrorCode::kIo, std::string("fcntl: ") + std::strerror(errno));
  }
  return {};
}

class CommandKernel final : public PointKernel {
 public:
  CommandKernel(std::string command, std::vector<std::string> argv,
                std::vector<std::string> outputs, milliseconds timeout)
      : PointKernel(timeout, nlohmann::json::object()),
        command_(std::move(command)),
        argv_(std::move(argv)),
        outputs_(std::move(outputs)) {}
  CommandKernel(const CommandKernel&) = delete;
  CommandKernel& operator=(const CommandKernel&) = delete;

  ~CommandKernel() override {
    if (!child_.valid()) return;
    // End of input asks a well-behaved program to exit; then it is killed.
    in_.reset();
    wait_exited(milliseconds(100));
    stop_child();
  }

 protected:
  Result<nlohmann::json> compute(const nlohmann::json& point, uint64_t seed,
                                 const StopCondition& stop) override {
    SigpipeBlock no_sigpipe;
    if (!child_.valid()) TTG_TRY(start());
    nlohmann::json request = point;
    if (!request.contains("seed")) request["seed"] = seed;
    TTG_TRY_ASSIGN(std::string line, exchange(request.dump() + "\n", stop));
    auto answer = parse_answer(line, outputs_);
    if (!answer) return tl::unexpected(fail(answer.error().message));
    return answer;
  }

 private:
  Status start() {
    int in[2], out[2], err[2];
    if (pipe2(in, O_CLOEXEC) != 0) return pipe_error();
    util::Fd in_r(in[0]), in_w(in[1]);
    if (pipe2(out, O_CLOEXEC) != 0) return pipe_error();
    util::Fd out_r(out[0]), out_w(out[1]);
    if (pipe2(err, O_CLOEXEC) != 0) return pipe_error();
    util::Fd err_r(err[0]), err_w(err[1]);
    util::SpawnOptions so;
    so.stdin_fd = in_r.get();
    so.stdout_fd = out_w.get();
    so.stderr_fd = err_w.get();
    // Its own group: a terminal's Ctrl-C goes to the worker, which stops
    // the program itself, and killing the group also ends the program's
    // own children.
    so.new_process_group = true;
    auto p = util::Process::spawn(argv_, so);
    if (!p) return make_error(ErrorCode::kKernelFailed, "exec `" + command_ + "`: " + p.error());
    child_ = std::move(*p);
    for (int fd : {in_w.get(), out_r.get(), err_r.get()}) {
      if (auto st = set_nonblocking(fd); !st) {
        return tl::unexpected(fail(st.error().message));
      }
    }
    in_ = std::move(in_w);
    out_ = std::move(out_r);
    err_ = std::move(err_r);
    out_lines_.clear();
    err_tail_.clear();
    err_truncated_ = false;
    return {};
  }

  Status pipe_error() const {
    return make_error(ErrorCode::kKernelFailed,
                      "exec `" + command_ + "`: pipe: " + std::string(std::strerror(errno)));
  }

  // Writes `request`, then reads one answer line. On any error the program
  // is stopped.
  Result<std::string> exchange(const std::string& request, const StopCondition& stop) {
    size_t written = 0;
    for (;;) {
      if (written == request.size()) {
        auto line = out_lines_.next_line();
        if (!line) return tl::unexpected(fail(line.error().message));
        if (*line) return std::move(**line);
      }
      if (auto st = stop.check(); !st) {
        if (st.error().code == ErrorCode::kCancelled) {
          stop_child();
          return tl::unexpected(st.error());
        }
        return tl::unexpected(fail(st.error().message + "; the program was killed"));
      }
      if (auto st = out_lines_.check_limit(); !st) {
        return tl::unexpected(fail(st.error().message));
      }
      pollfd fds[3];
      nfds_t n = 0;
      int wi = -1, oi = -1, ei = -1;
      if (written < request.size()) {
        wi = static_cast<int>(n);
        fds[n++] = pollfd{in_.get(), POLLOUT, 0};
      }
      oi = static_cast<int>(n);
      fds[n++] = pollfd{out_.get(), POLLIN, 0};
      if (err_.valid()) {
        ei = static_cast<int>(n);
        fds[n++] = pollfd{err_.get(), POLLIN, 0};
      }
      // Wake up now and then to check the cancel flag.
      auto wait = milliseconds(50);
      if (stop.deadline() != Clock::time_point::max()) {
        auto left = std::chrono::ceil<milliseconds>(stop.deadline() - Clock::now());
        wait = std::clamp(left, milliseconds(0), wait);
      }
      int rc = ::poll(fds, n, static_cast<int>(wait.count()));
      if (rc < 0) {
        if (errno == EINTR) continue;
        return tl::unexpected(fail(std::string("poll: ") + std::strerror(errno)));
      }
      if (ei >= 0 && fds[ei].revents != 0) read_stderr();
      if (wi >= 0 && fds[wi].revents != 0) {
        ssize_t k = ::write(in_.get(), request.data() + written, request.size() - written);
        if (k > 0) {
          written += static_cast<size_t>(k);
        } else if (k < 0 && errno != EAGAIN && errno != EINTR) {
          if (errno == EPIPE) return tl::unexpected(ended("stopped reading its input"));
          return tl::unexpected(fail(std::string("write: ") + std::strerror(errno)));
        }
      }
      if (fds[oi].revents != 0) {
        char buf[65536];
        ssize_t k = ::read(out_.get(), buf, sizeof buf);
        if (k > 0) {
          out_lines_.append(std::string_view(buf, static_cast<size_t>(k)));
        } else if (k == 0) {
          return tl::unexpected(ended("closed its output without answering"));
        } else if (errno != EAGAIN && errno != EINTR) {
          return tl::unexpected(fail(std::string("read: ") + std::strerror(errno)));
        }
      }
    }
  }

  // Keeps the last kStderrTail bytes of the program's stderr; closes err_ at
  // its end.
  void read_stderr() {
    char buf[8192];
    for (;;) {
      ssize_t k = ::read(err_.get(), buf, sizeof buf);
      if (k > 0) {
        err_tail_.append(buf, static_cast<size_t>(k));
        if (err_tail_.size() > 2 * kStderrTail) {
          err_tail_.erase(0, err_tail_.size() - kStderrTail);
          err_truncated_ = true;
        }
        continue;
      }
      if (k < 0 && errno == EINTR) continue;
      if (k == 0) err_.reset();
      return;
    }
  }

  // True once the program has exited (it is left unreaped, so its pid and
  // process group stay ours to signal).
  bool wait_exited(milliseconds limit) {
    auto deadline = Clock::now() + limit;
    for (;;) {
      siginfo_t info{};
      if (::waitid(P_PID, static_cast<id_t>(child_.pid()), &info, WEXITED | WNOHANG | WNOWAIT) !=
          0) {
        if (errno == EINTR) continue;
        return true;  // ECHILD: already reaped
      }
      if (info.si_pid != 0) return true;
      if (Clock::now() >= deadline) return false;
      // Keep reading stderr meanwhile: a program blocked writing it would
      // never exit.
      if (err_.valid()) {
        pollfd p{err_.get(), POLLIN, 0};
        if (::poll(&p, 1, 2) > 0) read_stderr();
      } else {
        std::this_thread::sleep_for(milliseconds(2));  // bounded by `limit`
      }
    }
  }

  // The program ended its side of a pipe: it has probably exited; give it a
  // moment, so that the error tells how it ended.
  Error ended(const std::string& what) {
    wait_exited(milliseconds(2000));
    return fail("the program " + what);
  }

  // Stops the program and returns how it ended if it had exited by itself
  // ("exit 3", "signal 11 (Segmentation fault)"), else "".
  std::string stop_child() {
    if (!child_.valid()) return "";
    bool by_itself = wait_exited(milliseconds(0));
    in_.reset();
    ::kill(-child_.pid(), SIGKILL);
    // Whatever it wrote to stderr before it ended, up to the end of the pipe
    // (bounded, in case a descendant in another group keeps it open).
    auto until = Clock::now() + milliseconds(200);
    while (err_.valid() && Clock::now() < until) {
      pollfd p{err_.get(), POLLIN, 0};
      if (::poll(&p, 1, 20) > 0) read_stderr();
    }
    child_.stop(milliseconds(1000));
    std::string how;
    if (by_itself && child_.status()) how = util::describe_wait_status(*child_.status());
    child_ = util::Process();
    out_.reset();
    err_.reset();
    out_lines_.clear();
    return how;
  }

  // Stops the program (the next parameter set starts it again) and returns
  // the error: what happened, how the program ended, and its stderr's tail.
  Error fail(const std::string& what) {
    std::string how = stop_child();
    std::string message = "exec `" + command_ + "`: " + what;
    if (!how.empty()) message += " (" + how + ")";
    std::string tail = err_tail_.size() > kStderrTail
                           ? err_tail_.substr(err_tail_.size() - kStderrTail)
                           : err_tail_;
    while (!tail.empty() && std::isspace(static_cast<unsigned char>(tail.back()))) tail.pop_back();
    if (!tail.empty()) {
      message += "; stderr";
      message += err_truncated_ || err_tail_.size() > kStderrTail ? " (last 2 KiB): ..." : ": ";
      message += tail;
    }
    err_tail_.clear();
    return Error{ErrorCode::kKernelFailed, message};
  }

  std::string command_;
  std::vector<std::string> argv_;
  std::vector<std::string> outputs_;

  util::Process child_;
  util::Fd in_, out_, err_;  // our ends of the program's stdin, stdout, stderr
  LineBuffer out_lines_;     // stdout read but not yet consumed
  std::string err_tail_;     // the end of stderr (at most 2 * kStderrTail)
  bool err_truncated_ = false;
};

Result<std::unique_ptr<Kernel>> make_exec(const nlohmann::json& args) {
  auto it = args.find("command");
  if (it == args.end() || !it->is_string()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "kernel 'exec' needs the argument 'command', a string (ttg submit --exec "
                      "\"PROGRAM ARGS\")");
  }
  std::string command = it->get<std::string>();
  auto argv = split_command_line(command);
  if (!argv) {
    return make_error(ErrorCode::kInvalidArgument,
                      "kernel argument 'command': " + argv.error().message);
  }
  TTG_TRY_ASSIGN(auto outputs, names_arg(args, "outputs"));
  TTG_TRY_ASSIGN(auto timeout, timeout_arg(args, 60000));
  return std::make_unique<CommandKernel>(std::move(command), std::move(*argv), std::move(outputs),
                                         *timeout);
}

}  // namespace

BuiltinKind exec_kind() {
  KernelField timeout = timeout_field(60000);
  timeout.help += " (the chunk that starts the program counts its start-up)";
  return {{"exec",
           "runs a program, one per compute slot, kept running: each parameter set goes to its "
           "stdin as one JSON line (the set's values, and \"seed\" unless a parameter has that "
           "name), one JSON object of outputs comes back per line on its stdout. A crash, a "
           "line that is not a JSON object, a missing output or the time-out fails the attempt "
           "with the end of the program's stderr, and the next chunk starts it again",
           "",
           "",
           {},
           {{"command",
             "the program and its arguments, split into words like a shell's (quotes, "
             "backslashes; no shell runs); required"},
            {"outputs", "names every answer must have", nlohmann::json::array()},
            timeout},
           {{"(any)", "the members of the program's answer"}}},
          make_exec,
          nullptr};
}

}  // namespace ttg::kernels
