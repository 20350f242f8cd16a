// cpns-server: the CPNS Server.
//   cpns-server serve --listen HOST:PORT --db URL --cert F --key F --client-ca F [--crl-file F]
//                     [--kek-file F]...
//   cpns-server init --kek-file F
//   cpns-server migrate --db URL
//   cpns-server kek rotate --db URL --kek-file OLD --new-kek-file NEW
//   cpns-server seeds list|rotate|retire|revoke --db URL [--gw-id ID] [--epoch N] [--json]
//   cpns-server gateways list|show|revoke --db URL [--gw-id ID] [--json]
//   cpns-server keys revoke --db URL (--key-file F | --second-seed HEX | --fingerprint HEX)
//   cpns-server audit list --db URL [--json]
//   cpns-server audit prune --db URL --before TIME [--json]
//   cpns-server check --db URL [--kek-file F]...
#include "commands.h"
#include "common/cli.h"
#include "common/daemon.h"
#include "common/process.h"

namespace {

namespace cmd = cpns::server_cli;
using cpns::cli::Subcommands;
using cmd::Flags;

constexpr const char* kDbHelp = "postgresql://..., sqlite:PATH or a file path (SQLite)";

void AddDb(CLI::App* c, Flags& f) { c->add_option("--db", f.db, kDbHelp)->required(); }
void AddJson(CLI::App* c, Flags& f) { c->add_flag("--json", f.json, "Print JSON"); }
void AddGwId(CLI::App* c, Flags& f) {
  c->add_option("--gw-id", f.gw_id, "Gateway id")->required();
}
void AddEpoch(CLI::App* c, Flags& f) {
  c->add_option("--epoch", f.epoch, "Seed epoch")->required()->check(CLI::Range(1u, UINT32_MAX));
}
void AddReason(CLI::App* c, Flags& f) {
  c->add_option("--reason", f.reason, "Why (kept in the audit log)");
}

Subcommands ServeCommand(CLI::App& app, Flags& f) {
  CLI::App* serve = app.add_subcommand("serve", "Serve FirstSeedService over mutual TLS");
  serve->add_option("--listen", f.listen, "HOST:PORT to listen on (port 0: any free port)")
      ->required();
  AddDb(serve, f);
  serve->add_option("--cert", f.cert, "Server certificate (PEM; reloaded on SIGHUP)")->required();
  serve->add_option("--key", f.key,
                    "Server private key (PEM; ours alone, mode 0600; reloaded on SIGHUP)")
      ->required();
  serve->add_option("--client-ca", f.client_ca,
                    "Operator CA(s) that issue gateway certificates (PEM bundle; reloaded on "
                    "SIGHUP)")
      ->required();
  serve->add_option("--crl-file", f.crl_file,
                    "CRLs of the operator CA(s) (PEM, one or more): a revoked gateway "
                    "certificate is refused; reloaded on SIGHUP");
  serve->add_option("--kek-file", f.kek_files,
                    "KEK file (repeatable; the first seals new seeds, all open). Default: "
                    "$CPNS_KEK, or for SQLite <db>.kek (created)");
  serve->add_option("--seed-lifetime", f.seed_lifetime,
                    "Lifetime of newly issued 1st seeds (gateways renew them before expiry)")
      ->capture_default_str()
      ->check(cpns::cli::Duration("--seed-lifetime"));
  serve->add_option("--ready-file", f.ready_file, "Write the bound HOST:PORT here once serving");
  serve->add_flag("--reflection,!--no-reflection", f.reflection,
                  "Serve gRPC server reflection (the API's description) to any peer; off by "
                  "default: each reflection stream holds a handler thread while it is open");
  cpns::daemon::AddMetricsFlag(*serve, f.metrics_listen);
  cpns::daemon::AddConnectionFlags(*serve, f.connections);
  return {{serve, [&f] { return cmd::Serve(f); }}};
}

// init, migrate, kek rotate: the store's keys and schema.
Subcommands StoreCommands(CLI::App& app, Flags& f) {
  CLI::App* init = app.add_subcommand("init", "Create a new KEK file (mode 0600)");
  init->add_option("--kek-file", f.kek_files, "Where to write it (never overwritten)")
      ->required()
      ->expected(1);
  CLI::App* migrate = app.add_subcommand("migrate", "Bring the database schema up to date");
  AddDb(migrate, f);
  CLI::App* kek = app.add_subcommand("kek", "Key-encryption keys");
  kek->require_subcommand(1);
  CLI::App* rotate = kek->add_subcommand("rotate", "Re-seal every seed under a new KEK, online");
  AddDb(rotate, f);
  rotate->add_option("--kek-file", f.kek_files, "The current KEK (repeatable)")->required();
  rotate->add_option("--new-kek-file", f.new_kek_file, "The new KEK")->required();
  return {{init, [&f] { return cmd::Init(f); }},
          {migrate, [&f] { return cmd::Migrate(f); }},
          {rotate, [&f] { return cmd::KekRotate(f); }}};
}

// The lifecycle commands (here and below): every change is audited under the OS user.
Subcommands SeedsCommands(CLI::App& app, Flags& f) {
  CLI::App* seeds = app.add_subcommand("seeds", "A gateway's 1st seeds (never their bytes)");
  seeds->require_subcommand(1);
  CLI::App* list = seeds->add_subcommand("list", "List stored seeds");
  AddDb(list, f), AddJson(list, f);
  CLI::App* rotate =
      seeds->add_subcommand("rotate", "Make a new epoch active; older ones stay valid");
  AddDb(rotate, f), AddGwId(rotate, f), AddJson(rotate, f);
  rotate->add_option("--lifetime", f.lifetime, "Lifetime of the new epoch")
      ->capture_default_str()
      ->check(cpns::cli::Duration("--lifetime"));
  rotate->add_option("--kek-file", f.kek_files,
                     "KEK file (repeatable). Default: $CPNS_KEK, or for SQLite <db>.kek");
  CLI::App* retire = seeds->add_subcommand("retire", "Stop keys under a rotated epoch");
  AddDb(retire, f), AddGwId(retire, f), AddEpoch(retire, f), AddJson(retire, f);
  CLI::App* revoke = seeds->add_subcommand("revoke", "Withdraw one epoch at once");
  AddDb(revoke, f), AddGwId(revoke, f), AddEpoch(revoke, f), AddReason(revoke, f),
      AddJson(revoke, f);
  return {{list, [&f] { return cmd::SeedsList(f); }},
          {rotate, [&f] { return cmd::SeedsRotate(f); }},
          {retire, [&f] { return cmd::SeedsRetireOrRevoke(f, /*revoke=*/false); }},
          {revoke, [&f] { return cmd::SeedsRetireOrRevoke(f, /*revoke=*/true); }}};
}

Subcommands GatewaysCommands(CLI::App& app, Flags& f) {
  CLI::App* gateways = app.add_subcommand("gateways", "Gateways known to the store");
  gateways->require_subcommand(1);
  CLI::App* list = gateways->add_subcommand("list", "List gateways");
  AddDb(list, f), AddJson(list, f);
  CLI::App* show = gateways->add_subcommand("show", "One gateway and its epochs");
  AddDb(show, f), AddGwId(show, f), AddJson(show, f);
  CLI::App* revoke =
      gateways->add_subcommand("revoke", "Revoke a gateway: all its epochs, and its future");
  AddDb(revoke, f), AddGwId(revoke, f), AddReason(revoke, f), AddJson(revoke, f);
  return {{list, [&f] { return cmd::GatewaysList(f, /*one=*/false); }},
          {show, [&f] { return cmd::GatewaysList(f, /*one=*/true); }},
          {revoke, [&f] { return cmd::GatewaysRevoke(f); }}};
}

Subcommands KeysCommands(CLI::App& app, Flags& f) {
  CLI::App* keys = app.add_subcommand("keys", "EUKeys");
  keys->require_subcommand(1);
  CLI::App* revoke = keys->add_subcommand("revoke", "Revoke one EUKey");
  AddDb(revoke, f), AddReason(revoke, f), AddJson(revoke, f);
  revoke->add_option("--key-file", f.key_file, "The assignee's key file (cpns-pne --save)");
  revoke->add_option("--second-seed", f.second_seed,
                     "The key's 2nd seed (64 hex digits); visible to every user of this "
                     "machine (ps): prefer --key-file or --fingerprint");
  revoke->add_option("--fingerprint", f.fingerprint,
                     "The key's 2nd-seed fingerprint (64 hex digits)");
  revoke->add_option("--gw-id", f.gw_id, "Gateway of the key (recorded only)");
  return {{revoke, [&f] { return cmd::KeysRevoke(f); }}};
}

Subcommands AuditCommands(CLI::App& app, Flags& f) {
  CLI::App* audit = app.add_subcommand("audit", "The audit log");
  audit->require_subcommand(1);
  CLI::App* list = audit->add_subcommand("list", "List audit events, oldest first");
  AddDb(list, f), AddJson(list, f);
  list->add_option("--gw-id", f.gw_id, "Only this gateway's events");
  list->add_option("--action", f.action, "Only this action (e.g. auth.refused)");
  list->add_option("--after", f.after, "Only events with a larger id");
  list->add_option("--limit", f.limit, "At most this many")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  CLI::App* prune =
      audit->add_subcommand("prune", "Delete audit events recorded before a time (audited)");
  AddDb(prune, f), AddJson(prune, f);
  prune->add_option("--before", f.before,
                    "RFC 3339 time (2026-01-31T00:00:00Z), date (2026-01-31, UTC) or age "
                    "(90d: that long before now)")
      ->required();
  return {{list, [&f] { return cmd::AuditList(f); }},
          {prune, [&f] { return cmd::AuditPrune(f); }}};
}

Subcommands CheckCommand(CLI::App& app, Flags& f) {
  CLI::App* check = app.add_subcommand(
      "check", "Check the store: SQLite integrity, schema, and that every sealed row opens");
  AddDb(check, f);
  check->add_option("--kek-file", f.kek_files,
                    "KEK file (repeatable). Default: $CPNS_KEK, or for SQLite <db>.kek");
  return {{check, [&f] { return cmd::Check(f); }}};
}

}  // namespace

int main(int argc, char** argv) {
  // KEKs and 1st seeds pass through every subcommand: no core dump.
  if (absl::Status s = cpns::HardenProcess(); !s.ok()) return cpns::cli::Fail(cmd::kProgram, s);
  // An offline command (a KEK rotation, a migration) runs to its end: a
  // termination signal waits until it has (serve waits for them itself).
  cpns::BlockTerminationSignals();
  Flags f;
  CLI::App app{"cpns-server: the CPNS Server. Issues and keeps every gateway's 1st seed.",
               cmd::kProgram};
  cpns::cli::SetUp(app, f.log);
  Subcommands commands;
  for (auto add : {ServeCommand, StoreCommands, SeedsCommands, GatewaysCommands, KeysCommands,
                   AuditCommands, CheckCommand}) {
    for (cpns::cli::Subcommand& c : add(app, f)) commands.push_back(std::move(c));
  }
  return cpns::cli::ParseAndRun(app, argc, argv, commands, [&f] {
    return cpns::InitLogging(cmd::kProgram, f.log.level, f.log.format);
  });
}
