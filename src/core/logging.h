// Process-wide logging set-up (spdlog to stderr). Call once from main().
// Nothing in cpns logs secret bytes: wire messages are logged only through
// wire::Redacted(), and SecretBytes has no formatter.
#ifndef CPNS_CORE_LOGGING_H_
#define CPNS_CORE_LOGGING_H_

#include <string>

#include "absl/status/status.h"

namespace cpns {

// level: trace, debug, info, warn, error, off. InvalidArgument for others.
absl::Status InitLogging(const std::string& program, const std::string& level);

}  // namespace cpns

#endif  // CPNS_CORE_LOGGING_H_
