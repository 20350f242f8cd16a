// Durations of the command line and config files ("90s", "12h", "30d";
// apps/common/cli.*), through the CLI11 validator the programs attach.
// Properties: an accepted duration is whole seconds in (0, 10 years], its
// "<seconds>s" form parses to the same value, and the validator agrees.
#include <string>

#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "fuzz_util.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cpns::fuzz::Check;
  const absl::string_view text = cpns::fuzz::AsText(data, size);
  const auto d = cpns::cli::ParseDuration("--timeout", text);
  std::string value(text);
  const std::string verdict = cpns::cli::Duration("--timeout")(value);
  Check(verdict.empty() == d.ok());
  if (!d.ok()) {
    Check(d.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  Check(*d > absl::ZeroDuration() && *d <= absl::Hours(24 * 3650));
  Check(*d == absl::Trunc(*d, absl::Seconds(1)));
  const auto again =
      cpns::cli::ParseDuration("--timeout", absl::StrCat(absl::ToInt64Seconds(*d), "s"));
  Check(again.ok() && *again == *d);
  return 0;
}
