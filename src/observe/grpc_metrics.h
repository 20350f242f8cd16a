// Per-method metrics of a gRPC server, in the names and labels of
// go-grpc-prometheus so that existing dashboards and alerts read them:
//   grpc_server_started_total{grpc_type,grpc_service,grpc_method}
//   grpc_server_handled_total{grpc_type,grpc_service,grpc_method,grpc_code}
//   grpc_server_handling_seconds{grpc_type,grpc_service,grpc_method} (histogram)
// grpc_code is the canonical code name (OK, UNAVAILABLE, ...).
//
// Thread-safe. The families and the series of every method the server
// registers are made once, at construction, and never change after: a call
// looks up no metric by name and creates nothing. Any other path a peer
// sends (gRPC's generic handling of unknown methods lets it pick any) is
// counted under grpc_service="unknown", grpc_method="unknown",
// grpc_type="unknown", so what a peer sends cannot add series or labels.
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
#include <vector>

#include "absl/status/statusor.h"

namespace cpns::observe {

// A method a server registers: its full name ("/package.Service/Method") and
// its kind.
struct GrpcMethod {
  std::string full_name;
  grpc::experimental::ServerRpcInfo::Type type;
};

// The methods of the services named (full names, "cpns.v1.AuthService"), from
// the protobuf descriptors linked into the program, plus those of gRPC's
// health (grpc.health.v1) and reflection (grpc.reflection.v1alpha) services,
// which a daemon's servers may add. InvalidArgument naming a service the
// program has no descriptor of.
absl::StatusOr<std::vector<GrpcMethod>> ServedMethods(const std::vector<std::string>& services);

class GrpcServerMetrics {
 public:
  static constexpr int kCodes = 17;  // grpc::StatusCode OK .. UNAUTHENTICATED

  // The series of one method.
  struct Method {
    prometheus::Counter* started = nullptr;
    std::array<prometheus::Counter*, kCodes> handled{};
    prometheus::Histogram* seconds = nullptr;
  };

  // Registers the three families in `registry`, which must outlive this, and
  // the series of each of `methods` and of "unknown".
  GrpcServerMetrics(prometheus::Registry& registry, const std::vector<GrpcMethod>& methods);

  // The series of `full_method` ("/package.Service/Method") if it is one of
  // the methods given at construction, else the "unknown" series; never
  // null, and valid as long as this object.
  const Method* ForMethod(const std::string& full_method) const;

  // The interceptor factory to hand a grpc::ServerBuilder (through
  // experimental().SetInterceptorCreators). This object must outlive the
  // server.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> NewInterceptorFactory();

 private:
  Method MakeMethod(const std::string& service, const std::string& method, const char* type);

  prometheus::Family<prometheus::Counter>& started_;
  prometheus::Family<prometheus::Counter>& handled_;
  prometheus::Family<prometheus::Histogram>& seconds_;
  // Filled by the constructor only, so read without a lock.
  std::map<std::string, Method, std::less<>> methods_;
  Method unknown_;
};

// The canonical name of a gRPC status code ("OK", "UNAVAILABLE", ...).
std::string_view GrpcCodeName(grpc::StatusCode code);

}  // namespace cpns::observe

#endif  // CPNS_OBSERVE_GRPC_METRICS_H_
