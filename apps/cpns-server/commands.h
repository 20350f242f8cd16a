// The cpns-server subcommands, each returning the process exit code.
#ifndef CPNS_APPS_CPNS_SERVER_COMMANDS_H_
#define CPNS_APPS_CPNS_SERVER_COMMANDS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/cli.h"
#include "common/daemon.h"

namespace cpns::server_cli {

inline constexpr const char* kProgram = "cpns-server";

struct Flags {
  std::string listen, db, cert, key, client_ca, crl_file, ready_file;
  cli::LogFlags log;  // --log-level, --log-format: the program's (cli::SetUp)
  std::string metrics_listen;  // --metrics-listen; none when empty
  std::vector<std::string> kek_files;
  std::string new_kek_file;
  bool json = false;
  std::string seed_lifetime = "365d";
  bool reflection = false;  // --reflection
  daemon::ConnectionFlags connections;
  // Lifecycle commands.
  std::string gw_id, reason, lifetime = "365d", action;
  uint32_t epoch = 0;
  std::string key_file, second_seed, fingerprint;
  int64_t after = 0;
  int limit = 1000;
  std::string before;  // audit prune
};

// The KEK files to use: --kek-file, else $CPNS_KEK, else for SQLite the file
// next to the database (created when `create_default`).
absl::StatusOr<std::vector<std::string>> KekFiles(const Flags& f, bool create_default);

// serve.cc
int Serve(const Flags& f);

// commands.cc
int Init(const Flags& f);
int Migrate(const Flags& f);
int KekRotate(const Flags& f);
int SeedsList(const Flags& f);

// admin.cc
int GatewaysList(const Flags& f, bool one);  // one: `gateways show --gw-id`
int GatewaysRevoke(const Flags& f);
int SeedsRotate(const Flags& f);
int SeedsRetireOrRevoke(const Flags& f, bool revoke);
int KeysRevoke(const Flags& f);
int AuditList(const Flags& f);
// "admin:<user>@<host>": who made a change, for the audit log.
std::string AdminActor();

// maintenance.cc
// audit prune's --before: RFC 3339, a date (UTC midnight) or an age ("90d").
// InvalidArgument for anything else and for a time after `now`.
absl::StatusOr<absl::Time> ParseBefore(absl::string_view text, absl::Time now);
int AuditPrune(const Flags& f);
int Check(const Flags& f);

}  // namespace cpns::server_cli

#endif  // CPNS_APPS_CPNS_SERVER_COMMANDS_H_
