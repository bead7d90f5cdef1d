#include "redis/connection.h"

#include <signal.h>
#include <sys/time.h>

#include <cerrno>
#include <thread>

#include <hiredis/hiredis.h>

#include "util/strings.h"

namespace ttg::redis {

namespace {

struct ContextDeleter {
  void operator()(redisContext* c) const {
    if (c != nullptr) redisFree(c);
  }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

struct ReplyDeleter {
  void operator()(redisReply* r) const {
    if (r != nullptr) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

void ignore_sigpipe_once() {
  static std::once_flag once;
  std::call_once(once, [] { ::signal(SIGPIPE, SIG_IGN); });
}

timeval to_timeval(std::chrono::milliseconds ms) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(ms.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((ms.count() % 1000) * 1000);
  return tv;
}

// Maps a failed context into the error taxonomy. `saved_errno` is errno as
// it was right after the failing hiredis call: hiredis 0.14 reports time-outs
// as REDIS_ERR_IO with EAGAIN (reads/writes) or ETIMEDOUT (connect).
Error transport_error(const redisContext* c, int saved_errno, const Options& options,
                      std::string_view during) {
  std::string where = describe(options) + ": " + std::string(during) + ": ";
  if (c == nullptr) return Error{ErrorCode::kConnection, where + "out of memory"};
  std::string text = c->errstr;
  switch (c->err) {
    case REDIS_ERR_IO:
      if (saved_errno == EAGAIN || saved_errno == EWOULDBLOCK || saved_errno == ETIMEDOUT ||
          saved_errno == EINPROGRESS) {
        return Error{ErrorCode::kTimeout, where + "timed out"};
      }
      return Error{ErrorCode::kConnection, where + (text.empty() ? "I/O error" : text)};
    case REDIS_ERR_EOF:
      return Error{ErrorCode::kConnection, where + "server closed the connection"};
    case REDIS_ERR_PROTOCOL:
      return Error{ErrorCode::kProtocol,
                   where + "not a Redis server (protocol error: " + text + ")"};
    default:
      return Error{ErrorCode::kConnection, where + (text.empty() ? "connection error" : text)};
  }
}

Reply to_reply(const redisReply* r) {
  switch (r->type) {
    case REDIS_REPLY_STRING:
      return Reply::string(std::string(r->str, r->len));
    case REDIS_REPLY_STATUS:
      return Reply::status(std::string(r->str, r->len));
    case REDIS_REPLY_ERROR:
      return Reply::error(std::string(r->str, r->len));
    case REDIS_REPLY_INTEGER:
      return Reply::integer(r->integer);
    case REDIS_REPLY_ARRAY: {
      std::vector<Reply> elements;
      elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) elements.push_back(to_reply(r->element[i]));
      return Reply::array(std::move(elements));
    }
    default:
      return Reply::nil();
  }
}

}  // namespace

Error classify_error_reply(std::string_view message) {
  auto code = ErrorCode::kRedisReply;
  if (util::starts_with(message, "NOSCRIPT")) {
    code = ErrorCode::kNoScript;
  } else if (util::starts_with(message, "BUSYGROUP")) {
    code = ErrorCode::kBusyGroup;
  } else if (util::starts_with(message, "NOGROUP")) {
    code = ErrorCode::kNoGroup;
  } else if (util::starts_with(message, "NOJOB")) {
    // TTG's scripts: the job's meta is gone (removed, or lost with its data).
    code = ErrorCode::kNotFound;
  } else if (util::starts_with(message, "STALE")) {
    // TTG's scripts: the job was submitted again under a new run id.
    code = ErrorCode::kStale;
  } else if (util::starts_with(message, "LOADING") || util::starts_with(message, "BUSY ") ||
             util::starts_with(message, "MASTERDOWN")) {
    // Transient: the server is loading its data set, or running a long
    // script. Callers retry as after a dropped connection.
    code = ErrorCode::kConnection;
  } else if (util::starts_with(message, "NOAUTH") || util::starts_with(message, "NOPERM")) {
    code = ErrorCode::kNoAuth;
  } else if (util::starts_with(message, "WRONGPASS") ||
             util::starts_with(message, "ERR invalid password") ||
             util::starts_with(message, "ERR AUTH") ||
             util::starts_with(message, "ERR Client sent AUTH, but no password is set")) {
    code = ErrorCode::kWrongPass;
  }
  return Error{code, std::string(message)};
}

std::string Script::sha() const {
  std::lock_guard<std::mutex> lock(mu_);
  return sha_;
}

void Script::set_sha(std::string sha) const {
  std::lock_guard<std::mutex> lock(mu_);
  sha_ = std::move(sha);
}

struct Connection::Impl {
  Options options;
  ContextPtr ctx;
  bool broken = false;

  Error fail(int saved_errno, std::string_view during) {
    broken = true;
    return transport_error(ctx.get(), saved_errno, options, during);
  }

  Status append(const Command& argv) {
    std::vector<const char*> ptrs;
    std::vector<size_t> lens;
    ptrs.reserve(argv.size());
    lens.reserve(argv.size());
    for (const auto& a : argv) {
      ptrs.push_back(a.data());
      lens.push_back(a.size());
    }
    if (redisAppendCommandArgv(ctx.get(), static_cast<int>(argv.size()), ptrs.data(),
                               lens.data()) != REDIS_OK) {
      return tl::unexpected(fail(errno, "append"));
    }
    return {};
  }

  Result<Reply> read(std::string_view during) {
    void* raw = nullptr;
    errno = 0;
    if (redisGetReply(ctx.get(), &raw) != REDIS_OK) {
      int saved = errno;
      return tl::unexpected(fail(saved, during));
    }
    ReplyPtr owned(static_cast<redisReply*>(raw));
    if (!owned) return tl::unexpected(fail(0, during));
    return to_reply(owned.get());
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

namespace {

// Catches options that hiredis would take in a surprising way: a zero
// time-out means "forever" to SO_RCVTIMEO and "give up at once" to connect.
Status validate(const Options& options) {
  std::string where = describe(options) + ": ";
  if (options.connect_timeout.count() <= 0 || options.command_timeout.count() <= 0) {
    return make_error(ErrorCode::kInvalidArgument,
                      where + "connect and command time-outs must be positive");
  }
  if (options.unix_socket.empty() && (options.port < 1 || options.port > 65535)) {
    return make_error(ErrorCode::kInvalidArgument, where + "port must be from 1 to 65535");
  }
  if (options.db < 0) {
    return make_error(ErrorCode::kInvalidArgument, where + "database number must be >= 0");
  }
  return {};
}

}  // namespace

Result<Connection> Connection::connect(const Options& options) {
  TTG_TRY(validate(options));
  ignore_sigpipe_once();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  timeval ctv = to_timeval(options.connect_timeout);
  errno = 0;
  if (!options.unix_socket.empty()) {
    impl->ctx.reset(redisConnectUnixWithTimeout(options.unix_socket.c_str(), ctv));
  } else {
    impl->ctx.reset(redisConnectWithTimeout(options.host.c_str(), options.port, ctv));
  }
  int saved = errno;
  if (!impl->ctx || impl->ctx->err != 0) {
    return tl::unexpected(transport_error(impl->ctx.get(), saved, options, "connect"));
  }
  if (redisSetTimeout(impl->ctx.get(), to_timeval(options.command_timeout)) != REDIS_OK) {
    return tl::unexpected(transport_error(impl->ctx.get(), errno, options, "set time-out"));
  }
  Connection conn(std::move(impl));
  auto fail_with_context = [&](Error e, std::string_view what) {
    if (e.code == ErrorCode::kConnection || e.code == ErrorCode::kTimeout ||
        e.code == ErrorCode::kProtocol) {
      return tl::unexpected(std::move(e));
    }
    return tl::unexpected(e.with_context(describe(options) + ": " + std::string(what)));
  };
  // A user without a password still needs AUTH (an ACL user with `nopass`);
  // otherwise the connection would silently act as the default user.
  if (!options.user.empty() || !options.password.empty()) {
    Command auth = options.user.empty() ? Command{"AUTH", options.password}
                                        : Command{"AUTH", options.user, options.password};
    auto r = conn.command(auth);
    if (!r) return fail_with_context(r.error(), "AUTH");
  }
  if (options.db != 0) {
    auto r = conn.command({"SELECT", std::to_string(options.db)});
    if (!r) return fail_with_context(r.error(), "SELECT");
  }
  auto pong = conn.command({"PING"});
  if (!pong) return fail_with_context(pong.error(), "PING");
  return conn;
}

Result<Reply> Connection::command(const Command& argv) {
  if (impl_->broken) {
    return make_error(ErrorCode::kConnection, describe(impl_->options) + ": connection is closed");
  }
  // Redis answers nothing to an empty command: reading would wait for the
  // time-out and leave the connection out of step.
  if (argv.empty()) return make_error(ErrorCode::kInvalidArgument, "empty Redis command");
  TTG_TRY(impl_->append(argv));
  TTG_TRY_ASSIGN(Reply reply, impl_->read(argv[0]));
  if (reply.is_error()) return tl::unexpected(classify_error_reply(reply.str()));
  return reply;
}

Result<std::vector<Reply>> Connection::pipeline(const std::vector<Command>& commands) {
  if (impl_->broken) {
    return make_error(ErrorCode::kConnection, describe(impl_->options) + ": connection is closed");
  }
  for (size_t i = 0; i < commands.size(); ++i) {
    if (commands[i].empty()) {
      return make_error(ErrorCode::kInvalidArgument,
                        "empty Redis command at index " + std::to_string(i) + " of a pipeline");
    }
  }
  for (const auto& c : commands) TTG_TRY(impl_->append(c));
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  for (size_t i = 0; i < commands.size(); ++i) {
    TTG_TRY_ASSIGN(Reply reply, impl_->read("pipeline"));
    replies.push_back(std::move(reply));
  }
  return replies;
}

Status Connection::load(const Script& script) {
  TTG_TRY_ASSIGN(Reply sha, command({"SCRIPT", "LOAD", script.body()}));
  if (!sha.is_string()) {
    return make_error(ErrorCode::kProtocol, "SCRIPT LOAD: unexpected reply " + sha.debug_string());
  }
  script.set_sha(sha.str());
  return {};
}

Command Connection::evalsha_command(const Script& script, const std::vector<std::string>& keys,
                                    const std::vector<std::string>& args) {
  Command argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.push_back("EVALSHA");
  argv.push_back(script.sha());
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Result<Reply> Connection::eval(const Script& script, const std::vector<std::string>& keys,
                               const std::vector<std::string>& args) {
  if (script.sha().empty()) TTG_TRY(load(script));
  auto reply = command(evalsha_command(script, keys, args));
  if (!reply && reply.error().code == ErrorCode::kNoScript) {
    // The server lost its script cache (restart, SCRIPT FLUSH): load and retry once.
    TTG_TRY(load(script));
    return command(evalsha_command(script, keys, args));
  }
  return reply;
}

bool Connection::usable() const { return impl_ && !impl_->broken; }
const Options& Connection::options() const { return impl_->options; }

Client::Client(Options options, util::BackoffPolicy backoff)
    : options_(std::move(options)), backoff_(backoff) {}

bool Client::connected() const { return conn_ && conn_->usable(); }

void Client::disconnect() { conn_.reset(); }

Status Client::ensure_connected() {
  if (connected()) return {};
  conn_.reset();
  auto now = std::chrono::steady_clock::now();
  if (now < next_attempt_) std::this_thread::sleep_until(next_attempt_);
  auto conn = Connection::connect(options_);
  if (!conn) {
    next_attempt_ = std::chrono::steady_clock::now() + backoff_.next();
    return tl::unexpected(conn.error());
  }
  backoff_.reset();
  next_attempt_ = {};
  conn_ = std::make_unique<Connection>(std::move(*conn));
  ++connects_;
  return {};
}

template <class T>
Result<T> Client::check(Result<T> result) {
  if (!result) {
    auto code = result.error().code;
    if (code == ErrorCode::kConnection || code == ErrorCode::kTimeout ||
        code == ErrorCode::kProtocol || !conn_->usable()) {
      conn_.reset();
      next_attempt_ = std::chrono::steady_clock::now() + backoff_.next();
    }
  }
  return result;
}

Result<Reply> Client::command(const Command& argv) {
  TTG_TRY(ensure_connected());
  return check(conn_->command(argv));
}

Result<std::vector<Reply>> Client::pipeline(const std::vector<Command>& commands) {
  TTG_TRY(ensure_connected());
  return check(conn_->pipeline(commands));
}

Result<Reply> Client::eval(const Script& script, const std::vector<std::string>& keys,
                           const std::vector<std::string>& args) {
  TTG_TRY(ensure_connected());
  return check(conn_->eval(script, keys, args));
}

}  // namespace ttg::redis
