// HttpEndpoint: the operators' HTTP listener of a daemon (--metrics-listen).
//   GET /metrics  the registry in Prometheus' text format (prometheus-cpp's
//                 serializer);
//   GET /healthz  200 "ok" while the process serves;
//   GET /readyz   200 "ready" when the readiness probe says so, else 503 and
//                 the probe's one-line reason.
// Anything else is 404 (405 for a method other than GET or HEAD); no file is
// ever served.
//
// It may be reachable by anyone who can reach the port, so its resources are
// bounded: kThreads threads serve one connection each, at most kQueue more
// wait, requests are at most kMaxRequestBytes and must arrive within
// kRequestTimeoutMs; connections are not kept alive.
//
// Thread-safe; the probe is called on the endpoint's threads and must be
// cheap and never block on what it reports.
#ifndef CPNS_OBSERVE_HTTP_ENDPOINT_H_
#define CPNS_OBSERVE_HTTP_ENDPOINT_H_

#include <prometheus/registry.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"

struct mg_connection;
struct mg_context;

namespace cpns::observe {

// {ready, reason}; the reason is shown when not ready.
using ReadinessProbe = std::function<std::pair<bool, std::string>()>;

class HttpEndpoint {
 public:
  // Enough threads, and a short enough request timeout, that a few clients
  // sending slowly cannot hold /healthz from a liveness probe for long.
  static constexpr int kThreads = 4;
  static constexpr int kQueue = 8;
  static constexpr int kMaxRequestBytes = 4096;
  static constexpr int kRequestTimeoutMs = 1000;

  // Listens on `listen` ("IPV4:PORT"; port 0 picks a free one).
  // InvalidArgument naming --metrics-listen for a bad address; Unavailable
  // when it cannot be bound. `registry` must outlive the endpoint.
  static absl::StatusOr<std::unique_ptr<HttpEndpoint>> Start(const std::string& listen,
                                                             prometheus::Registry& registry,
                                                             ReadinessProbe ready);
  // Stops listening and waits for the requests being served.
  ~HttpEndpoint();

  int port() const { return port_; }

 private:
  HttpEndpoint(prometheus::Registry& registry, ReadinessProbe ready)
      : registry_(registry), ready_(std::move(ready)) {}

  static int Serve(struct mg_connection* conn, void* self);

  prometheus::Registry& registry_;
  ReadinessProbe ready_;
  struct mg_context* ctx_ = nullptr;
  int port_ = 0;
};

}  // namespace cpns::observe

#endif  // CPNS_OBSERVE_HTTP_ENDPOINT_H_
