// A few lines of HTTP/1.1 over a plain socket, so that tests scrape the
// daemons' --metrics-listen endpoint as Prometheus would, without a client
// library. Test-only: no TLS, no chunked encoding, no redirects.
#ifndef CPNS_TESTS_SUPPORT_HTTP_GET_H_
#define CPNS_TESTS_SUPPORT_HTTP_GET_H_

#include <string>

#include "absl/status/statusor.h"

namespace cpns::test {

struct HttpResponse {
  int status = 0;
  std::string body;
};

// GET http://127.0.0.1:`port``path`; reads until the server closes (every
// wait bounded by 10 s). An error when it cannot connect or the reply has no
// status line.
absl::StatusOr<HttpResponse> HttpGet(int port, const std::string& path,
                                     const std::string& method = "GET");

}  // namespace cpns::test

#endif  // CPNS_TESTS_SUPPORT_HTTP_GET_H_
