// `ttg acl [--role ROLE]... [--format commands|file] [--password-file FILE]`:
// prints least-privilege Redis ACL users for TTG's roles (queue/acl.h), as
// ACL SETUSER commands (for redis-cli) or as the lines of an ACL file.
// Standard output holds those lines and nothing else.

#include <CLI/CLI.hpp>

#include <algorithm>
#include <memory>
#include <ostream>

#include "cli/common.h"
#include "cli/exit_codes.h"
#include "queue/acl.h"

namespace ttg::cli {

namespace {

struct AclArgs {
  std::vector<std::string> roles;
  std::string format = "commands";
  std::string password_file;
};

int run_acl(const Context& ctx, const AclArgs& a) {
  std::vector<queue::acl::Role> roles;
  for (const std::string& name : a.roles) {
    auto role = queue::acl::parse_role(name);
    if (!role) return report(ctx, "acl", role.error().with_context("--role"));
    if (std::find(roles.begin(), roles.end(), *role) == roles.end()) roles.push_back(*role);
  }
  if (roles.empty()) roles = queue::acl::all_roles();
  auto password = queue::acl::Password::placeholder();
  if (!a.password_file.empty()) {
    auto secret = read_password_file(a.password_file, Source{SourceKind::kFlag, "--password-file"});
    if (!secret) return report(ctx, "acl", secret.error());
    password = queue::acl::Password::of(*secret);
  }
  for (queue::acl::Role role : roles) {
    ctx.out << (a.format == "file" ? queue::acl::aclfile_line(role, password)
                                   : queue::acl::setuser_line(role, password))
            << "\n";
  }
  if (password.is_placeholder()) {
    ctx.err << "ttg acl: the passwords are placeholders that Redis refuses; give --password-file "
               "FILE to put in its SHA-256\n";
  }
  return kExitOk;
}

}  // namespace

Handler setup_acl(CLI::App& app) {
  auto a = std::make_shared<AclArgs>();
  app.add_option("--role", a->roles,
                 "worker, submitter, monitor or keda (repeatable; default: every role)")
      ->type_name("ROLE");
  app.add_option("--format", a->format,
                 "commands: ACL SETUSER lines for redis-cli (default); file: lines of an ACL file")
      ->check(CLI::IsMember({"commands", "file"}));
  app.add_option("--password-file", a->password_file,
                 "The users' password; only its SHA-256 is printed (default: a placeholder)")
      ->type_name("FILE");
  return [a](const Context& ctx) { return run_acl(ctx, *a); };
}

}  // namespace ttg::cli
