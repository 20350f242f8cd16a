// What a part of cpns needs to log: spdlog's default logger, and a formatter
// for abseil's string_view. Which logger that is (stderr, the level) is the
// program's choice, made once in main (InitLogging in apps/common/process.h);
// no library sets it.
// Nothing in cpns logs secret bytes: wire messages are logged only through
// wire::Redacted(), and SecretBytes has no formatter.
#ifndef CPNS_CORE_LOGGING_H_
#define CPNS_CORE_LOGGING_H_

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "absl/strings/string_view.h"

// Debian's abseil keeps its own string_view type; let fmt/spdlog print it.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename Ctx>
  auto format(absl::string_view s, Ctx& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

#endif  // CPNS_CORE_LOGGING_H_
