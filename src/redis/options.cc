#include "redis/options.h"

#include <openssl/evp.h>

#include "util/strings.h"

namespace ttg::redis {

namespace {

// Messages never quote the URL or any piece of it: in a malformed URL the
// parser cannot tell where a password ends ("redis://user:pw" puts it in the
// port, an unescaped '/' in it spills into the database number).
Error bad_url(std::string_view what) {
  return Error{ErrorCode::kInvalidArgument, "invalid Redis URL: " + std::string(what)};
}

Result<int> parse_db(std::string_view text) {
  auto db = util::parse_int(text);
  if (!db || *db < 0 || *db > 1'000'000) {
    return tl::unexpected(bad_url("database number must be an integer from 0 to 1000000"));
  }
  return static_cast<int>(*db);
}

}  // namespace

Result<Options> parse_url(std::string_view url) {
  Options options;
  constexpr std::string_view kUnix = "unix://";
  constexpr std::string_view kRedis = "redis://";
  constexpr std::string_view kRediss = "rediss://";
  if (util::starts_with(url, kUnix)) {
    std::string_view rest = url.substr(kUnix.size());
    auto q = rest.find('?');
    std::string_view path = rest.substr(0, q);
    if (path.empty() || path.front() != '/') {
      return tl::unexpected(bad_url("unix socket path must be absolute (unix:///path.sock)"));
    }
    options.unix_socket = std::string(path);
    if (q != std::string_view::npos) {
      std::string_view query = rest.substr(q + 1);
      if (!util::starts_with(query, "db=")) {
        return tl::unexpected(bad_url("unknown query parameter (only ?db=N is accepted)"));
      }
      query.remove_prefix(3);
      if (query.find('&') != std::string_view::npos) {
        return tl::unexpected(bad_url("unknown query parameter (only ?db=N is accepted)"));
      }
      TTG_TRY_ASSIGN(options.db, parse_db(query));
    }
    return options;
  }
  std::string_view rest;
  if (util::starts_with(url, kRedis)) {
    rest = url.substr(kRedis.size());
  } else if (util::starts_with(url, kRediss)) {
    rest = url.substr(kRediss.size());
    options.tls = true;
  } else {
    return tl::unexpected(bad_url("must start with redis://, rediss:// or unix://"));
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) {
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty()) {
      TTG_TRY_ASSIGN(options.db, parse_db(db));
    }
  }
  auto at = authority.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = authority.substr(0, at);
    authority = authority.substr(at + 1);
    auto colon = userinfo.find(':');
    auto user = util::percent_decode(userinfo.substr(0, colon));
    if (!user) return tl::unexpected(bad_url("malformed percent-escape in user name"));
    options.user = *user;
    if (colon != std::string_view::npos) {
      auto password = util::percent_decode(userinfo.substr(colon + 1));
      if (!password) return tl::unexpected(bad_url("malformed percent-escape in password"));
      options.password = *password;
    }
  }
  std::string_view host = authority;
  std::string_view port;
  bool has_port = false;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return tl::unexpected(bad_url("unclosed '[' in host"));
    host = authority.substr(1, close - 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return tl::unexpected(bad_url("junk after ']' in host"));
      port = after.substr(1);
      has_port = true;
    }
  } else {
    auto colon = authority.rfind(':');
    if (colon != std::string_view::npos) {
      host = authority.substr(0, colon);
      port = authority.substr(colon + 1);
      has_port = true;
    }
  }
  if (host.empty()) return tl::unexpected(bad_url("missing host"));
  options.host = std::string(host);
  if (has_port) {
    auto p = util::parse_int(port);
    if (!p || *p < 1 || *p > 65535) {
      return tl::unexpected(bad_url("port must be an integer from 1 to 65535"));
    }
    options.port = static_cast<int>(*p);
  }
  return options;
}

std::string password_sha256_hex(std::string_view password) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(password.data(), password.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    return {};
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size; ++i) {
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

std::string describe(const Options& options) {
  if (!options.unix_socket.empty()) {
    std::string out = "unix://" + options.unix_socket;
    if (options.db != 0) out += "?db=" + std::to_string(options.db);
    return out;
  }
  std::string out = options.tls ? "rediss://" : "redis://";
  if (!options.user.empty()) out += options.user + "@";
  bool v6 = options.host.find(':') != std::string::npos;
  out += v6 ? "[" + options.host + "]" : options.host;
  out += ":" + std::to_string(options.port);
  if (options.db != 0) out += "/" + std::to_string(options.db);
  return out;
}

}  // namespace ttg::redis
