#include "wire/endpoint.h"

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace cpns::wire {
namespace {

// gRPC reads "NAME:..." as a target of its own scheme NAME (a Unix socket,
// a literal address list, a resolver), so a host of that name would not be
// the TCP+TLS host it looks like.
bool IsGrpcScheme(absl::string_view host) {
  for (absl::string_view scheme :
       {"unix", "unix-abstract", "vsock", "ipv4", "ipv6", "dns", "xds", "tls", "tcp"}) {
    if (absl::EqualsIgnoreCase(host, scheme)) return true;
  }
  return false;
}

// A DNS name, an IPv4 address or a bracketed IPv6 address (zone included).
bool IsHost(absl::string_view host) {
  const bool bracketed = absl::ConsumePrefix(&host, "[") && absl::ConsumeSuffix(&host, "]");
  if (host.empty() || (!bracketed && IsGrpcScheme(host))) return false;
  for (char c : host) {
    const bool ok = absl::ascii_isalnum(c) || c == '.' || c == '-' || c == '_' ||
                    (bracketed && (c == ':' || c == '%'));
    if (!ok) return false;
  }
  return true;
}

}  // namespace

std::string Endpoint::GrpcAddress() const {
  return kind == Kind::kUnix ? absl::StrCat("unix:", address) : address;
}

absl::StatusOr<Endpoint> ParseEndpoint(absl::string_view flag, absl::string_view text) {
  if (absl::ConsumePrefix(&text, "unix:")) {
    if (text.empty()) return absl::InvalidArgumentError(absl::StrCat(flag, ": unix: needs a path"));
    return Endpoint{Endpoint::Kind::kUnix, std::string(text)};
  }
  const bool plain = absl::ConsumePrefix(&text, "tcp:");
  if (!plain) absl::ConsumePrefix(&text, "tls:");
  const size_t colon = text.rfind(':');
  uint32_t port = 0;
  if (colon == absl::string_view::npos || !IsHost(text.substr(0, colon)) ||
      !absl::SimpleAtoi(text.substr(colon + 1), &port) || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        flag, ": '", text,
        "' is not unix:PATH, tls:HOST:PORT, tcp:HOST:PORT or HOST:PORT with a host name, IPv4 "
        "address or "
        "[IPv6] address and a port 0-65535"));
  }
  return Endpoint{plain ? Endpoint::Kind::kTcp : Endpoint::Kind::kTls, std::string(text)};
}

}  // namespace cpns::wire
