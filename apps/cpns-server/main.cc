// cpns-server: the CPNS Server.
//   cpns-server serve --listen HOST:PORT --db URL --cert F --key F --client-ca F [--kek-file F]...
//   cpns-server init --kek-file F
//   cpns-server migrate --db URL
//   cpns-server kek rotate --db URL --kek-file OLD --new-kek-file NEW
//   cpns-server seeds list --db URL [--json]
#include "commands.h"
#include "common/cli.h"
#include "core/process.h"

int main(int argc, char** argv) {
  using cpns::server_cli::kProgram;
  cpns::BlockTerminationSignals();
  cpns::server_cli::Flags f;
  CLI::App app{"cpns-server: the CPNS Server. Issues and keeps every gateway's 1st seed.",
               kProgram};
  cpns::cli::SetUp(app);
  const char* kDbHelp = "postgresql://..., sqlite:PATH or a file path (SQLite)";

  CLI::App* serve = app.add_subcommand("serve", "Serve FirstSeedService over mutual TLS");
  serve->add_option("--listen", f.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->required();
  serve->add_option("--db", f.db, kDbHelp)->required();
  serve->add_option("--cert", f.cert, "Server certificate (PEM)")->required();
  serve->add_option("--key", f.key, "Server private key (PEM)")->required();
  serve->add_option("--client-ca", f.client_ca, "Operator CA that issues gateway certificates")
      ->required();
  serve->add_option("--kek-file", f.kek_files,
                    "KEK file (repeatable; the first seals new seeds, all open). Default: "
                    "$CPNS_KEK, or for SQLite <db>.kek (created)");
  serve->add_option("--ready-file", f.ready_file, "Write the bound HOST:PORT here once serving");
  cpns::cli::AddLogLevel(*serve, f.log_level);

  CLI::App* init = app.add_subcommand("init", "Create a new KEK file (mode 0600)");
  init->add_option("--kek-file", f.kek_files, "Where to write it (never overwritten)")
      ->required()
      ->expected(1);

  CLI::App* migrate = app.add_subcommand("migrate", "Bring the database schema up to date");
  migrate->add_option("--db", f.db, kDbHelp)->required();

  CLI::App* kek = app.add_subcommand("kek", "Key-encryption keys");
  kek->require_subcommand(1);
  CLI::App* rotate = kek->add_subcommand("rotate", "Re-seal every seed under a new KEK, online");
  rotate->add_option("--db", f.db, kDbHelp)->required();
  rotate->add_option("--kek-file", f.kek_files, "The current KEK (repeatable)")->required();
  rotate->add_option("--new-kek-file", f.new_kek_file, "The new KEK")->required();

  CLI::App* seeds = app.add_subcommand("seeds", "Inspect stored 1st seeds (never their bytes)");
  seeds->require_subcommand(1);
  CLI::App* list = seeds->add_subcommand("list", "List stored seeds");
  list->add_option("--db", f.db, kDbHelp)->required();
  list->add_flag("--json", f.json, "Print JSON");

  if (int code = cpns::cli::Parse(app, argc, argv); code >= 0) return code;
  if (serve->parsed()) return cpns::server_cli::Serve(f);
  if (init->parsed()) return cpns::server_cli::Init(f);
  if (migrate->parsed()) return cpns::server_cli::Migrate(f);
  if (rotate->parsed()) return cpns::server_cli::KekRotate(f);
  return cpns::server_cli::SeedsList(f);
}
