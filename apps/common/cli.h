// What every cpns program does the same way at its command line: CLI11 set-up
// (one-line errors, --config file, --version, --log-level and --log-format),
// durations, exit codes.
#ifndef CPNS_APPS_COMMON_CLI_H_
#define CPNS_APPS_COMMON_CLI_H_

#include <CLI/CLI.hpp>

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cpns/core/secret_bytes.h"

namespace cpns::cli {

// Exit codes: 0 success, 1 the operation failed, 2 bad command line.
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

// How the program logs, as given by --log-level and --log-format.
struct LogFlags {
  std::string level = "info";   // trace, debug, info, warn, error, off
  std::string format = "text";  // text or json
};

// Configures `app`: one-line errors, `--config FILE` (TOML or INI with the
// long flag names as keys), `--version` ("<program> <version>", see
// core/version.h), --log-level and --log-format bound to `log`, and a
// requirement that a subcommand is given. The log flags belong to the
// program, and may be given before or after the subcommand. Call before
// adding subcommands.
void SetUp(CLI::App& app, LogFlags& log);

// Runs app.parse; on error prints a one-line reason and returns the exit code.
// Returns -1 when parsing succeeded and the program should go on.
int Parse(CLI::App& app, int argc, char** argv);

// A subcommand that does something (a leaf: `seeds list`, not `seeds`) and
// the function that does it, returning the exit code. Each program's flag
// functions return these; main runs the one given.
struct Subcommand {
  CLI::App* cmd;
  std::function<int()> run;
};
using Subcommands = std::vector<Subcommand>;

// Parses the command line and runs the subcommand of `commands` that was
// given; a command line that does not parse ends with Parse's exit code.
// `init_logging` runs between the two (the logger's set-up from the parsed
// LogFlags); its error ends the program with kExitFailure.
int ParseAndRun(CLI::App& app, int argc, char** argv, const Subcommands& commands,
                const std::function<absl::Status()>& init_logging);

// "90s", "10m", "720h", "30d" (days are 24 h): whole seconds, positive, at
// most 10 years. InvalidArgument naming `flag`.
absl::StatusOr<absl::Duration> ParseDuration(absl::string_view flag, absl::string_view text);

// A CLI11 check that the option is a ParseDuration duration, so a bad value
// is a usage error (exit 2) like any other bad flag.
CLI::Validator Duration(const std::string& flag);

// A secret given as a file (--pairing-code-file and the like), so that it is
// not on the command line, where every user of the machine can read it (ps).
// The file's contents without trailing whitespace, read under the owner-only
// rule of ReadSecretFile (a link, another user's file or one open to group
// or others is refused). Errors name `flag`.
absl::StatusOr<SecretBytes> ReadSecretFlagFile(absl::string_view flag, const std::string& path);

// Prints "<program>: <CODE>: <message>" to stderr and returns kExitFailure.
int Fail(absl::string_view program, const absl::Status& status);

}  // namespace cpns::cli

#endif  // CPNS_APPS_COMMON_CLI_H_
