// Process-wide logging set-up (spdlog to stderr). Call once from main().
// Nothing in cpns logs secret bytes: wire messages are logged only through
// wire::Redacted(), and SecretBytes has no formatter.
#ifndef CPNS_CORE_LOGGING_H_
#define CPNS_CORE_LOGGING_H_

#include <string>

#include <fmt/format.h>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

// Debian's abseil keeps its own string_view type; let fmt/spdlog print it.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename Ctx>
  auto format(absl::string_view s, Ctx& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

namespace cpns {

// level: trace, debug, info, warn, error, off. InvalidArgument for others.
absl::Status InitLogging(const std::string& program, const std::string& level);

}  // namespace cpns

#endif  // CPNS_CORE_LOGGING_H_
