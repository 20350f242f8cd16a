// Per-method metrics of a gRPC server, in the names and labels of
// go-grpc-prometheus so that existing dashboards and alerts read them:
//   grpc_server_started_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method} (histogram)
// grpc_code is the canonical code name (OK, UNAVAILABLE, ...).
//
// Thread-safe. The families are registered once, at construction; each
// method's series are made the first time it is called and kept, so a call
// looks up no metric by name. At most kMaxMethods methods get their own
// series (a server registers a handful); any further one is counted under
// grpc_service="unknown", grpc_method="unknown", so labels stay bounded.
#ifndef CPNS_OBSERVE_GRPC_METRICS_H_
#define CPNS_OBSERVE_GRPC_METRICS_H_

#include <grpcpp/support/server_interceptor.h>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <map>
#include <memory>
#include <string>

#include "core/mutex.h"

namespace cpns::observe {

class GrpcServerMetrics {
 public:
  static constexpr size_t kMaxMethods = 64;
  static constexpr int kCodes = 17;  // grpc::StatusCode OK .. UNAUTHENTICATED

  // The series of one method.
  struct Method {
    prometheus::Counter* started = nullptr;
    std::array<prometheus::Counter*, kCodes> handled{};
    prometheus::Histogram* seconds = nullptr;
  };

  // Registers the three families in `registry`, which must outlive this.
  explicit GrpcServerMetrics(prometheus::Registry& registry);

  // The series of `full_method` ("/package.Service/Method"); never null, and
  // valid as long as this object.
  const Method* ForMethod(const std::string& full_method,
                          grpc::experimental::ServerRpcInfo::Type type);

  // The interceptor factory to hand a grpc::ServerBuilder (through
  // experimental().SetInterceptorCreators). This object must outlive the
  // server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory();

 private:
  Method MakeMethod(const std::string& service, const std::string& method, const char* type);

  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& seconds_;
  Mutex mu_;
  std::map<std::string, Method> methods_ ABSL_GUARDED_BY(mu_);
};

// The canonical name of a gRPC status code ("OK", "UNAVAILABLE", ...).
std::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace cpns::observe

#endif  // CPNS_OBSERVE_GRPC_METRICS_H_
