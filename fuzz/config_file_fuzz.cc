// Config files (--config FILE, TOML or INI; apps/common/cli.*), read by
// CLI11 into an app set up with cli::SetUp and the shapes of cpns-gw serve's
// flags: required strings, repeatable options, durations, ranges, a flag,
// an option that needs another, and a second subcommand. (The programs build
// their apps inside main(), so this is a copy of the shapes, not cpns-gw's
// own app.) The same bytes also go to CLI11's TOML and INI readers directly.
// Properties: a bad file is a CLI::ParseError, which cli::Parse turns into
// exit code 2; no other exception escapes; an accepted duration is one
// ParseDuration accepts.
#include <sstream>
#include <string>
#include <vector>

#include "common/cli.h"
#include "fuzz_util.h"

namespace {

using cpns::fuzz::Check;

struct Flags {
  std::string gw_id, server, state_dir, key_lifetime = "30d", admission = "pairing", uplink;
  std::string uplink_user, code_for;
  cpns::cli::LogFlags log;
  std::vector<std::string> pn_listen, allow_users;
  double refresh_at = 0.5;
  int rate_limit = 0;
  bool json = false;
};

void AddServe(CLI::App& app, Flags& f) {
  CLI::App* serve = app.add_subcommand("serve", "Serve");
  serve->add_option("--gw-id", f.gw_id)->required();
  serve->add_option("--server", f.server)->required();
  serve->add_option("--state-dir", f.state_dir);
  serve->add_option("--pn-listen", f.pn_listen)->required();
  serve->add_option("--key-lifetime", f.key_lifetime)
      ->capture_default_str()
      ->check(cpns::cli::Duration("--key-lifetime"));
  serve->add_option("--refresh-at", f.refresh_at)->check(CLI::Range(0.3, 0.95));
  serve->add_option("--admission", f.admission)->capture_default_str();
  serve->add_option("--allow-user", f.allow_users);
  serve->add_option("--rate-limit-per-peer", f.rate_limit)->check(CLI::Range(0, 1000000));
  CLI::Option* uplink = serve->add_option("--uplink-gateway", f.uplink);
  serve->add_option("--uplink-user-id", f.uplink_user)->needs(uplink);
}

void AddPair(CLI::App& app, Flags& f) {
  CLI::App* pair = app.add_subcommand("pair", "Pairing codes");
  pair->add_option("--entity-id", f.code_for);
  pair->add_flag("--json", f.json);
}

void ParseAsApp(const std::string& text) {
  Flags f;
  CLI::App app{"fuzz", "cpns-gw"};
  cpns::cli::SetUp(app, f.log);
  AddServe(app, f);
  AddPair(app, f);
  std::istringstream in(text);
  try {
    app.parse_from_stream(in);
  } catch (const CLI::ParseError&) {
    return;  // what cli::Parse reports as a usage error
  }
  Check(cpns::cli::ParseDuration("--key-lifetime", f.key_lifetime).ok());
  Check(f.refresh_at >= 0.3 && f.refresh_at <= 0.95);
}

template <typename Config>
void ParseAsConfig(const std::string& text) {
  std::istringstream in(text);
  try {
    (void)Config().from_config(in);
  } catch (const CLI::ParseError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(cpns::fuzz::AsText(data, size));
  ParseAsApp(text);
  ParseAsConfig<CLI::ConfigTOML>(text);
  ParseAsConfig<CLI::ConfigINI>(text);
  return 0;
}
