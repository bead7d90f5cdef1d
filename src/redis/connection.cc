#include "redis/connection.h"

#include <signal.h>

#include <thread>

#include <hiredis/hiredis.h>

#include "redis/transport.h"
#include "util/strings.h"

namespace ttg::redis {

namespace {

struct ReaderDeleter {
  void operator()(redisReader* r) const {
    if (r != nullptr) redisReaderFree(r);
  }
};
using ReaderPtr = std::unique_ptr<redisReader, ReaderDeleter>;

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

Deadline deadline_after(std::chrono::milliseconds timeout) {
  return std::chrono::steady_clock::now() + timeout;
}

// `error` from the transport or the RESP reader, with the server and the
// step it failed in: "redis://host:6379: GET: timed out".
Error transport_error(const Options& options, std::string_view during, const Error& error) {
  return Error{error.code, describe(options) + ": " + std::string(during) + ": " + error.message};
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

// hiredis is used for RESP only: redisFormatCommandArgv writes requests and
// a redisReader parses replies. The bytes go through a Transport (a socket,
// or TLS), whose waits are bounded by the time-outs.
struct Connection::Impl {
  Options options;
  std::unique_ptr<Transport> transport;
  ReaderPtr reader;
  // Requests formatted but not sent yet.
  std::string pending;
  bool broken = false;

  Error fail(std::string_view during, const Error& error) {
    broken = true;
    return transport_error(options, during, error);
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
    char* formatted = nullptr;
    int len =
        redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), ptrs.data(), lens.data());
    if (len < 0 || formatted == nullptr) {
      // Commands appended before this one would go out without it.
      pending.clear();
      broken = true;
      return make_error(ErrorCode::kInternal, "cannot format a Redis command: out of memory");
    }
    pending.append(formatted, static_cast<size_t>(len));
    redisFreeCommand(formatted);
    return {};
  }

  // Sends what append() formatted, within the command time-out.
  Status flush(std::string_view during) {
    auto sent = transport->write_all(pending, deadline_after(options.command_timeout));
    pending.clear();
    if (!sent) return tl::unexpected(fail(during, sent.error()));
    return {};
  }

  // The next reply, which must arrive whole within the command time-out.
  Result<Reply> read(std::string_view during) {
    const Deadline deadline = deadline_after(options.command_timeout);
    char buffer[16 * 1024];
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader.get(), &raw) != REDIS_OK) {
        return tl::unexpected(
            fail(during, Error{ErrorCode::kProtocol, "not a Redis server (protocol error: " +
                                                         std::string(reader->errstr) + ")"}));
      }
      if (raw != nullptr) {
        ReplyPtr owned(static_cast<redisReply*>(raw));
        return to_reply(owned.get());
      }
      auto got = transport->read_some(buffer, sizeof buffer, deadline);
      if (!got) return tl::unexpected(fail(during, got.error()));
      if (redisReaderFeed(reader.get(), buffer, *got) != REDIS_OK) {
        return tl::unexpected(
            fail(during, Error{ErrorCode::kInternal, "cannot buffer a reply: out of memory"}));
      }
    }
  }
};

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

namespace {

// Catches options that cannot work or would work in a surprising way: a zero
// time-out ("forever" or "give up at once"?), TLS files for a connection
// that is not TLS (the user expects TLS), a certificate without its key.
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
  bool tls_files = !options.tls_ca_file.empty() || !options.tls_cert_file.empty() ||
                   !options.tls_key_file.empty();
  if (tls_files && !options.tls) {
    return make_error(ErrorCode::kInvalidArgument,
                      where + "TLS files are given but the connection is not TLS (rediss://)");
  }
  if (options.tls && !options.unix_socket.empty()) {
    return make_error(ErrorCode::kInvalidArgument, where + "TLS needs TCP, not a unix socket");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      where + "a TLS client certificate needs its key, and a key its certificate");
  }
  return {};
}

}  // namespace

Result<Connection> Connection::connect(const Options& options) {
  TTG_TRY(validate(options));
  ignore_sigpipe_once();
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->reader.reset(redisReaderCreate());
  if (!impl->reader) {
    return make_error(ErrorCode::kInternal, "cannot create a RESP reader: out of memory");
  }
  auto transport = open_transport(options, deadline_after(options.connect_timeout));
  if (!transport) {
    const Error& e = transport.error();
    // A TLS file that cannot be used is the user's to fix, not the server's.
    if (e.code == ErrorCode::kInvalidArgument) {
      return make_error(e.code, describe(options) + ": " + e.message);
    }
    return tl::unexpected(transport_error(options, "connect", e));
  }
  impl->transport = std::move(*transport);
  Connection conn(std::move(impl));
  auto fail_with_context = [&](Error e, std::string_view what) {
    if (is_connection_failure(e) || e.code == ErrorCode::kProtocol) {
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
  TTG_TRY(impl_->flush(argv[0]));
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
  if (commands.empty()) return std::vector<Reply>{};
  for (const auto& c : commands) TTG_TRY(impl_->append(c));
  TTG_TRY(impl_->flush("pipeline"));
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
    if (is_connection_failure(result.error()) || code == ErrorCode::kProtocol || !conn_->usable()) {
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
