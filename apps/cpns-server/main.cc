// cpns-server: the CPNS Server.
//   cpns-server serve --listen HOST:PORT --db PATH --cert F --key F --client-ca F
//   cpns-server seeds list --db PATH [--json]
#include <spdlog/spdlog.h>

#include "core/logging.h"

#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "core/logging.h"
#include "core/process.h"
#include "cpns/core/clock.h"
#include "server/cpns_server.h"
#include "storage/sqlite_seed_store.h"

namespace {

constexpr const char* kProgram = "cpns-server";

struct Flags {
  std::string listen, db, cert, key, client_ca, ready_file, log_level;
  bool json = false;
};

int Serve(const Flags& f) {
  if (absl::Status s = cpns::InitLogging(kProgram, f.log_level); !s.ok()) {
    return cpns::cli::Fail(kProgram, s);
  }
  cpns::RealClock clock;
  auto store = cpns::storage::SqliteSeedStore::Open({.path = f.db}, clock);
  if (!store.ok()) return cpns::cli::Fail(kProgram, store.status());
  auto server = cpns::server::CpnsServer::Start(
      {.listen = f.listen,
       .tls = {.cert_file = f.cert, .key_file = f.key, .client_ca_file = f.client_ca}},
      **store);
  if (!server.ok()) return cpns::cli::Fail(kProgram, server.status());
  const std::string host = f.listen.substr(0, f.listen.rfind(':'));
  const std::string bound = absl::StrCat(host, ":", (*server)->port());
  if (absl::Status s = cpns::WriteReadyFile(f.ready_file, bound); !s.ok()) {
    return cpns::cli::Fail(kProgram, s);
  }
  spdlog::info("CPNS Server serving FirstSeedService on {} (mutual TLS), store {}", bound, f.db);
  const int sig = cpns::WaitForTerminationSignal();
  spdlog::info("signal {}: shutting down", sig);
  (*server)->Shutdown(absl::Seconds(5));
  spdlog::info("stopped");
  return 0;
}

int SeedsList(const Flags& f) {
  cpns::RealClock clock;
  auto store =
      cpns::storage::SqliteSeedStore::Open({.path = f.db, .create_if_missing = false}, clock);
  if (!store.ok()) return cpns::cli::Fail(kProgram, store.status());
  auto seeds = (*store)->List();
  if (!seeds.ok()) return cpns::cli::Fail(kProgram, seeds.status());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& s : *seeds) {
    const std::string created = absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", s.created_at,
                                                 absl::UTCTimeZone());
    if (f.json) {
      out.push_back({{"gw_id", s.gw_id.value()},
                     {"seed_epoch", s.seed_epoch},
                     {"created_at", absl::ToUnixSeconds(s.created_at)},
                     {"created_at_utc", created},
                     {"state", cpns::storage::SeedStateName(s.state)}});
    } else {
      std::cout << s.gw_id.value() << "  epoch " << s.seed_epoch << "  "
                << cpns::storage::SeedStateName(s.state) << "  created " << created << "\n";
    }
  }
  if (f.json) std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  cpns::BlockTerminationSignals();
  Flags f;
  CLI::App app{"cpns-server: the CPNS Server. Issues and keeps every gateway's 1st seed.",
               kProgram};
  cpns::cli::SetUp(app);

  CLI::App* serve = app.add_subcommand("serve", "Serve FirstSeedService over mutual TLS");
  serve->add_option("--listen", f.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->required();
  serve->add_option("--db", f.db, "SQLite database file (created if missing)")->required();
  serve->add_option("--cert", f.cert, "Server certificate (PEM)")->required();
  serve->add_option("--key", f.key, "Server private key (PEM)")->required();
  serve->add_option("--client-ca", f.client_ca, "Operator CA that issues gateway certificates")
      ->required();
  serve->add_option("--ready-file", f.ready_file,
                    "Write the bound HOST:PORT here once serving");
  cpns::cli::AddLogLevel(*serve, f.log_level);

  CLI::App* seeds = app.add_subcommand("seeds", "Inspect stored 1st seeds (never their bytes)");
  seeds->require_subcommand(1);
  CLI::App* list = seeds->add_subcommand("list", "List stored seeds");
  list->add_option("--db", f.db, "SQLite database file")->required();
  list->add_flag("--json", f.json, "Print JSON");

  if (int code = cpns::cli::Parse(app, argc, argv); code >= 0) return code;
  if (serve->parsed()) return Serve(f);
  return SeedsList(f);
}
