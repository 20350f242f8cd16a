#include "wire/endpoint.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace cpns::wire {

std::string Endpoint::GrpcAddress() const {
  return kind == Kind::kUnix ? absl::StrCat("unix:", address) : address;
}

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view flag, absl::string_view text) {
  if (absl::ConsumePrefix(&text, "unix:")) {
    if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": unix: needs a path"));
    return Endpoint{Endpoint::Kind::kUnix, std::string(text)};
  }
  absl::ConsumePrefix(&text, "tls:");
  const size_t colon = text.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos || colon == 0 ||
      !absl::SimpleAtoi(text.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": '", text, "' is not unix:PATH, tls:HOST:PORT or HOST:PORT with a port 0-65535"));
  }
  return Endpoint{Endpoint::Kind::kTls, std::string(text)};
}

}  // namespace cpns::wire
