// cpns-gw: the Intermediate PN GW daemon.
//   cpns-gw serve --gw-id ID --server HOST:PORT --server-ca F --cert F --key F
//                 --state-dir DIR --pn-listen unix:PATH [--pn-listen tls:HOST:PORT ...]
//                 [--refresh-at 0.75] [--refresh-jitter 0.05] [--seed-check-interval 15m]
//                 [--admission pairing|certificate|open] [--device-ca F] [--crl-file F]
//                 [--allow-user U]... [--allow-entity-type T]...
//   cpns-gw pair add --state-dir DIR --entity-type PNE --entity-id ID --user-id ID [--ttl 10m]
//   cpns-gw pair list --state-dir DIR [--json]
//   cpns-gw pair cancel --state-dir DIR --entity-type PNE --entity-id ID --user-id ID
//   cpns-gw status --state-dir DIR [--json]
//   cpns-gw assignments list --state-dir DIR [--json]
#include "common/cli.h"
#include "common/process.h"
#include "owner.h"
#include "serve.h"

namespace {

using cpns::cli::Subcommands;
using cpns::gw_cli::OwnerFlags;

using cpns::gw_cli::kProgram;

void AddStateDir(CLI::App* c, OwnerFlags& w) {
  c->add_option("--state-dir", w.state_dir, "The gateway's state directory")->required();
}
void AddJson(CLI::App* c, OwnerFlags& w, const char* help) { c->add_flag("--json", w.json, help); }
void AddHolder(CLI::App* c, OwnerFlags& w, const char* entity_help, const char* user_help) {
  c->add_option("--entity-type", w.entity_type, "PNE or PNGW")->capture_default_str();
  c->add_option("--entity-id", w.entity_id, entity_help)->required();
  c->add_option("--user-id", w.user_id, user_help)->required();
}

Subcommands PairCommands(CLI::App& app, OwnerFlags& w) {
  CLI::App* pair = app.add_subcommand("pair", "Pairing codes for the devices of this gateway");
  pair->require_subcommand(1);
  CLI::App* add = pair->add_subcommand("add", "Make a one-time code for one entity and user");
  AddStateDir(add, w);
  AddHolder(add, w, "The entity the code is for", "The user the code is for");
  add->add_option("--ttl", w.ttl, "How long the code is valid")
      ->capture_default_str()
      ->check(cpns::cli::Duration("--ttl"));
  AddJson(add, w, "Print JSON (field `code`)");
  CLI::App* list = pair->add_subcommand("list", "The pending codes: for whom, until when");
  AddStateDir(list, w);
  AddJson(list, w, "Print JSON");
  CLI::App* cancel =
      pair->add_subcommand("cancel", "Withdraw the pending codes of one entity and user");
  AddStateDir(cancel, w);
  AddHolder(cancel, w, "The entity", "The user");
  return {{add, [&w] { return cpns::gw_cli::PairAdd(w); }},
          {list, [&w] { return cpns::gw_cli::PairList(w); }},
          {cancel, [&w] { return cpns::gw_cli::PairCancel(w); }}};
}

// status, assignments list: what the running gateway reports and has issued.
Subcommands ReportCommands(CLI::App& app, OwnerFlags& w) {
  CLI::App* status = app.add_subcommand("status", "What the running gateway reports");
  AddStateDir(status, w);
  AddJson(status, w, "Print JSON");
  CLI::App* assignments = app.add_subcommand("assignments", "The record of issued EUKeys");
  assignments->require_subcommand(1);
  CLI::App* list = assignments->add_subcommand("list", "Every assignment, oldest first");
  AddStateDir(list, w);
  AddJson(list, w, "Print JSON");
  return {{status, [&w] { return cpns::gw_cli::Status(w); }},
          {list, [&w] { return cpns::gw_cli::AssignmentsList(w); }}};
}

}  // namespace

int main(int argc, char** argv) {
  // The 1st seed, EUKeys and pairing codes pass through this process: no core dump.
  if (absl::Status s = cpns::HardenProcess(); !s.ok()) return cpns::cli::Fail(kProgram, s);
  // An owner's command runs to its end: a termination signal waits until it
  // has (serve waits for them itself).
  cpns::BlockTerminationSignals();
  cpns::gw_cli::ServeFlags serve;
  OwnerFlags owner;
  CLI::App app{"cpns-gw: the Intermediate PN GW. Assigns EUKeys to the entities of its PN.",
               kProgram};
  cpns::cli::SetUp(app, serve.log);
  Subcommands commands = {cpns::gw_cli::ServeCommand(app, serve)};
  for (auto add : {PairCommands, ReportCommands}) {
    for (cpns::cli::Subcommand& c : add(app, owner)) commands.push_back(std::move(c));
  }
  return cpns::cli::ParseAndRun(app, argc, argv, commands, [&serve] {
    return cpns::InitLogging(kProgram, serve.log.level, serve.log.format);
  });
}
