#include "common/cli.h"

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/ascii.h"
#include "absl/strings/strip.h"
#include "core/file_util.h"
#include "core/version.h"

namespace cpns::cli {

void SetUp(CLI::App& app, LogFlags& log) {
  app.failure_message([](const CLI::App* failed, const CLI::Error& e) {
    return absl::StrCat(failed->get_name(), ": error: ", e.what(), " (see --help)\n");
  });
  app.set_config("--config", "", "Read flags from a TOML or INI file (keys are long flag names)");
  app.set_version_flag("--version", VersionLine(app.get_name()), "Print the version and exit");
  app.add_option("--log-level", log.level, "trace, debug, info, warn, error or off")
      ->capture_default_str()
      ->check(CLI::IsMember({"trace", "debug", "info", "warn", "error", "off"}));
  app.add_option("--log-format", log.format,
                 "text (one line per event: message and key=value fields) or json (one object "
                 "per line)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));
  // Subcommands created from here on pass options they do not know (the log
  // flags) to the program: `cpns-gw serve --log-format json` works.
  app.fallthrough();
  app.require_subcommand(1);
}

int Parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? 0 : kExitUsage;
  }
  return -1;
}

int ParseAndRun(CLI::App& app, int argc, char** argv, const Subcommands& commands,
                const std::function<absl::Status()>& init_logging) {
  if (int code = Parse(app, argc, argv); code >= 0) return code;
  if (absl::Status s = init_logging(); !s.ok()) return Fail(app.get_name(), s);
  for (const Subcommand& c : commands) {
    if (c.cmd->parsed()) return c.run();
  }
  // SetUp requires a subcommand and each group requires one of its own, so
  // only a subcommand missing from `commands` gets here.
  std::cerr << app.get_name() << ": error: no such command (see --help)\n";
  return kExitUsage;
}

absl::StatusOr<absl::Duration> ParseDuration(absl::string_view flag, absl::string_view text) {
  constexpr int64_t kMaxDays = 3650;
  absl::Duration d;
  int64_t days = 0;
  absl::string_view digits = text;
  if (absl::ConsumeSuffix(&digits, "d") && absl::SimpleAtoi(digits, &days) && days > 0 &&
      days <= kMaxDays) {
    return absl::Hours(24 * days);
  }
  if (absl::ParseDuration(text, &d) && d > absl::ZeroDuration() &&
      d <= absl::Hours(24 * kMaxDays) && d == absl::Trunc(d, absl::Seconds(1))) {
    return d;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      flag, " '", text,
      "' is not a whole number of seconds up to 10 years, such as 90s, 10m, 12h or 30d"));
}

CLI::Validator Duration(const std::string& flag) {
  return CLI::Validator(
      [flag](std::string& value) -> std::string {
        absl::StatusOr<absl::Duration> d = ParseDuration(flag, value);
        return d.ok() ? std::string() : std::string(d.status().message());
      },
      "DURATION");
}

absl::StatusOr<SecretBytes> ReadSecretFlagFile(absl::string_view flag, const std::string& path) {
  absl::StatusOr<SecretBytes> contents = ReadSecretFile(path);
  if (!contents.ok()) return WithContext(flag, contents.status());
  return SecretBytes::CopyFrom(absl::StripTrailingAsciiWhitespace(contents->RevealSecret()));
}

int Fail(absl::string_view program, const absl::Status& status) {
  std::cerr << program << ": " << absl::StatusCodeToString(status.code()) << ": "
            << status.message() << "\n";
  return kExitFailure;
}

}  // namespace cpns::cli
