// cpns-server: the CPNS Server.
//   cpns-server serve --listen HOST:PORT --db URL --cert F --key F --client-ca F [--kek-file F]...
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
#include "common/process.h"

int main(int argc, char** argv) {
  using cpns::server_cli::kProgram;
  cpns::BlockTerminationSignals();
  // KEKs and 1st seeds pass through every subcommand: no core dump.
  if (absl::Status s = cpns::HardenProcess(); !s.ok()) return cpns::cli::Fail(kProgram, s);
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
  serve->add_option("--seed-lifetime", f.seed_lifetime,
                    "Lifetime of newly issued 1st seeds (gateways renew them before expiry)")
      ->capture_default_str()
      ->check(cpns::cli::Duration("--seed-lifetime"));
  serve->add_option("--ready-file", f.ready_file, "Write the bound HOST:PORT here once serving");
  cpns::cli::AddConnectionFlags(*serve, f.connections);
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

  // The lifecycle commands: every change is audited under the OS user.
  auto db = [&](CLI::App* c) { c->add_option("--db", f.db, kDbHelp)->required(); };
  auto json = [&](CLI::App* c) { c->add_flag("--json", f.json, "Print JSON"); };
  auto gw = [&](CLI::App* c) { c->add_option("--gw-id", f.gw_id, "Gateway id")->required(); };
  auto epoch = [&](CLI::App* c) {
    c->add_option("--epoch", f.epoch, "Seed epoch")->required()->check(CLI::Range(1u, UINT32_MAX));
  };
  auto reason = [&](CLI::App* c) {
    c->add_option("--reason", f.reason, "Why (kept in the audit log)");
  };

  CLI::App* seeds = app.add_subcommand("seeds", "A gateway's 1st seeds (never their bytes)");
  seeds->require_subcommand(1);
  CLI::App* list = seeds->add_subcommand("list", "List stored seeds");
  db(list), json(list);
  CLI::App* rotate_seed =
      seeds->add_subcommand("rotate", "Make a new epoch active; older ones stay valid");
  db(rotate_seed), gw(rotate_seed), json(rotate_seed);
  rotate_seed->add_option("--lifetime", f.lifetime, "Lifetime of the new epoch")
      ->capture_default_str()
      ->check(cpns::cli::Duration("--lifetime"));
  rotate_seed->add_option("--kek-file", f.kek_files,
                          "KEK file (repeatable). Default: $CPNS_KEK, or for SQLite <db>.kek");
  CLI::App* retire = seeds->add_subcommand("retire", "Stop keys under a rotated epoch");
  db(retire), gw(retire), epoch(retire), json(retire);
  CLI::App* revoke_seed = seeds->add_subcommand("revoke", "Withdraw one epoch at once");
  db(revoke_seed), gw(revoke_seed), epoch(revoke_seed), reason(revoke_seed), json(revoke_seed);

  CLI::App* gateways = app.add_subcommand("gateways", "Gateways known to the store");
  gateways->require_subcommand(1);
  CLI::App* gw_list = gateways->add_subcommand("list", "List gateways");
  db(gw_list), json(gw_list);
  CLI::App* gw_show = gateways->add_subcommand("show", "One gateway and its epochs");
  db(gw_show), gw(gw_show), json(gw_show);
  CLI::App* gw_revoke =
      gateways->add_subcommand("revoke", "Revoke a gateway: all its epochs, and its future");
  db(gw_revoke), gw(gw_revoke), reason(gw_revoke), json(gw_revoke);

  CLI::App* keys = app.add_subcommand("keys", "EUKeys");
  keys->require_subcommand(1);
  CLI::App* key_revoke = keys->add_subcommand("revoke", "Revoke one EUKey");
  db(key_revoke), reason(key_revoke), json(key_revoke);
  key_revoke->add_option("--key-file", f.key_file, "The assignee's key file (cpns-pne --save)");
  key_revoke->add_option("--second-seed", f.second_seed,
                         "The key's 2nd seed (64 hex digits); visible to every user of this "
                         "machine (ps): prefer --key-file or --fingerprint");
  key_revoke->add_option("--fingerprint", f.fingerprint,
                         "The key's 2nd-seed fingerprint (64 hex digits)");
  key_revoke->add_option("--gw-id", f.gw_id, "Gateway of the key (recorded only)");

  CLI::App* audit = app.add_subcommand("audit", "The audit log");
  audit->require_subcommand(1);
  CLI::App* audit_list = audit->add_subcommand("list", "List audit events, oldest first");
  db(audit_list), json(audit_list);
  audit_list->add_option("--gw-id", f.gw_id, "Only this gateway's events");
  audit_list->add_option("--action", f.action, "Only this action (e.g. auth.refused)");
  audit_list->add_option("--after", f.after, "Only events with a larger id");
  audit_list->add_option("--limit", f.limit, "At most this many")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));

  CLI::App* audit_prune =
      audit->add_subcommand("prune", "Delete audit events recorded before a time (audited)");
  db(audit_prune), json(audit_prune);
  audit_prune->add_option("--before", f.before,
                          "RFC 3339 time (2026-01-31T00:00:00Z), date (2026-01-31, UTC) or age "
                          "(90d: that long before now)")
      ->required();

  CLI::App* check = app.add_subcommand(
      "check", "Check the store: SQLite integrity, schema, and that every sealed row opens");
  db(check);
  check->add_option("--kek-file", f.kek_files,
                    "KEK file (repeatable). Default: $CPNS_KEK, or for SQLite <db>.kek");

  if (int code = cpns::cli::Parse(app, argc, argv); code >= 0) return code;
  if (serve->parsed()) return cpns::server_cli::Serve(f);
  if (init->parsed()) return cpns::server_cli::Init(f);
  if (migrate->parsed()) return cpns::server_cli::Migrate(f);
  if (rotate->parsed()) return cpns::server_cli::KekRotate(f);
  namespace cmd = cpns::server_cli;
  if (list->parsed()) return cmd::SeedsList(f);
  if (rotate_seed->parsed()) return cmd::SeedsRotate(f);
  if (retire->parsed()) return cmd::SeedsRetireOrRevoke(f, /*revoke=*/false);
  if (revoke_seed->parsed()) return cmd::SeedsRetireOrRevoke(f, /*revoke=*/true);
  if (gw_list->parsed()) return cmd::GatewaysList(f, /*one=*/false);
  if (gw_show->parsed()) return cmd::GatewaysList(f, /*one=*/true);
  if (gw_revoke->parsed()) return cmd::GatewaysRevoke(f);
  if (key_revoke->parsed()) return cmd::KeysRevoke(f);
  if (audit_prune->parsed()) return cmd::AuditPrune(f);
  if (check->parsed()) return cmd::Check(f);
  return cmd::AuditList(f);
}
