#include "observe/grpc_metrics.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/support/status.h>

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace cpns::observe {
namespace {

using grpc::experimental::InterceptionHookPoints;
using grpc::experimental::InterceptorBatchMethods;
using grpc::experimental::ServerRpcInfo;

const char* TypeName(ServerRpcInfo::Type type) {
  switch (type) {
    case ServerRpcInfo::Type::UNARY: return "unary";
    case ServerRpcInfo::Type::CLIENT_STREAMING: return "client_stream";
    case ServerRpcInfo::Type::SERVER_STREAMING: return "server_stream";
    case ServerRpcInfo::Type::BIDI_STREAMING: return "bidi_stream";
  }
  return "unknown";
}

// One call: counts its start when gRPC creates it and its end when the
// handler's status is about to be sent.
class MetricsInterceptor final : public grpc::experimental::Interceptor {
 public:
  explicit MetricsInterceptor(const GrpcServerMetrics::Method& series)
      : series_(series), start_(absl::Now()) {
    series_.started->Increment();
  }

  void Intercept(InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const int code = static_cast<int>(methods->GetSendStatus().error_code());
      if (code >= 0 && code < GrpcServerMetrics::kCodes) series_.handled[code]->Increment();
      series_.seconds->Observe(absl::ToDoubleSeconds(absl::Now() - start_));
    }
    methods->Proceed();
  }

 private:
  const GrpcServerMetrics::Method& series_;
  const absl::Time start_;
};

class MetricsInterceptorFactory final
    : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit MetricsInterceptorFactory(GrpcServerMetrics& metrics) : metrics_(metrics) {}

  grpc::experimental::Interceptor* CreateServerInterceptor(ServerRpcInfo* info) override {
    return new MetricsInterceptor(*metrics_.ForMethod(info->method()));
  }

 private:
  GrpcServerMetrics& metrics_;
};

}  // namespace

std::string_view GrpcCodeName(grpc::StatusCode code) {
  // gRPC's codes are numbered as absl's, and absl names them canonically.
  static_assert(static_cast<int>(grpc::StatusCode::UNAVAILABLE) ==
                static_cast<int>(absl::StatusCode::kUnavailable));
  switch (static_cast<absl::StatusCode>(code)) {
#define CPNS_CODE(name, absl_code) \
  case absl::StatusCode::absl_code: return #name;
    CPNS_CODE(OK, kOk)
    CPNS_CODE(CANCELLED, kCancelled)
    CPNS_CODE(UNKNOWN, kUnknown)
    CPNS_CODE(INVALID_ARGUMENT, kInvalidArgument)
    CPNS_CODE(DEADLINE_EXCEEDED, kDeadlineExceeded)
    CPNS_CODE(NOT_FOUND, kNotFound)
    CPNS_CODE(ALREADY_EXISTS, kAlreadyExists)
    CPNS_CODE(PERMISSION_DENIED, kPermissionDenied)
    CPNS_CODE(RESOURCE_EXHAUSTED, kResourceExhausted)
    CPNS_CODE(FAILED_PRECONDITION, kFailedPrecondition)
    CPNS_CODE(ABORTED, kAborted)
    CPNS_CODE(OUT_OF_RANGE, kOutOfRange)
    CPNS_CODE(UNIMPLEMENTED, kUnimplemented)
    CPNS_CODE(INTERNAL, kInternal)
    CPNS_CODE(UNAVAILABLE, kUnavailable)
    CPNS_CODE(DATA_LOSS, kDataLoss)
    CPNS_CODE(UNAUTHENTICATED, kUnauthenticated)
#undef CPNS_CODE
    default: break;
  }
  return "UNKNOWN";
}

namespace {

ServerRpcInfo::Type TypeOf(const google::protobuf::MethodDescriptor& m) {
  if (m.client_streaming()) {
    return m.server_streaming() ? ServerRpcInfo::Type::BIDI_STREAMING
                                : ServerRpcInfo::Type::CLIENT_STREAMING;
  }
  return m.server_streaming() ? ServerRpcInfo::Type::SERVER_STREAMING : ServerRpcInfo::Type::UNARY;
}

}  // namespace

absl::StatusOr<std::vector<GrpcMethod>> ServedMethods(const std::vector<std::string>& services) {
  // gRPC's own services: Debian ships no descriptors of them to look up.
  std::vector<GrpcMethod> methods{
      {"/grpc.health.v1.Health/Check", ServerRpcInfo::Type::UNARY},
      {"/grpc.health.v1.Health/Watch", ServerRpcInfo::Type::SERVER_STREAMING},
      {"/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
       ServerRpcInfo::Type::BIDI_STREAMING}};
  const google::protobuf::DescriptorPool* pool = google::protobuf::DescriptorPool::generated_pool();
  for (const std::string& name : services) {
    const google::protobuf::ServiceDescriptor* service = pool->FindServiceByName(name);
    if (service == nullptr) {
      return absl::InvalidArgumentError(
          absl::StrCat("gRPC metrics: no descriptor of service \"", name, "\" in this program"));
    }
    for (int i = 0; i < service->method_count(); ++i) {
      const google::protobuf::MethodDescriptor& m = *service->method(i);
      methods.push_back({absl::StrCat("/", name, "/", m.name()), TypeOf(m)});
    }
  }
  return methods;
}

GrpcServerMetrics::GrpcServerMetrics(prometheus::Registry& registry,
                                     const std::vector<GrpcMethod>& methods)
    : started_(prometheus::BuildCounter()
                   .Name("grpc_server_started_total")
                   .Help("Total number of RPCs started on the server.")
                   .Register(registry)),
      handled_(prometheus::BuildCounter()
                   .Name("grpc_server_handled_total")
                   .Help("Total number of RPCs completed on the server, regardless of success "
                         "or failure.")
                   .Register(registry)),
      seconds_(prometheus::BuildHistogram()
                   .Name("grpc_server_handling_seconds")
                   .Help("Histogram of response latency (seconds) of gRPC that had been "
                         "application-level handled by the server.")
                   .Register(registry)),
      unknown_(MakeMethod("unknown", "unknown", "unknown")) {
  for (const GrpcMethod& m : methods) {
    const size_t slash = m.full_name.rfind('/');
    if (slash == std::string::npos || slash == 0 || m.full_name[0] != '/') continue;
    methods_.try_emplace(m.full_name, MakeMethod(m.full_name.substr(1, slash - 1),
                                                 m.full_name.substr(slash + 1), TypeName(m.type)));
  }
}

GrpcServerMetrics::Method GrpcServerMetrics::MakeMethod(const std::string& service,
                                                        const std::string& method,
                                                        const char* type) {
  const prometheus::Labels labels{
      {"grpc_type", type}, {"grpc_service", service}, {"grpc_method", method}};
  Method m;
  m.started = &started_.Add(labels);
  for (int code = 0; code < kCodes; ++code) {
    prometheus::Labels with_code = labels;
    with_code["grpc_code"] = std::string(GrpcCodeName(static_cast<grpc::StatusCode>(code)));
    m.handled[code] = &handled_.Add(with_code);
  }
  // go-grpc-prometheus's default buckets (Prometheus' DefBuckets), in seconds.
  m.seconds = &seconds_.Add(labels, prometheus::Histogram::BucketBoundaries{
                                        0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10});
  return m;
}

const GrpcServerMetrics::Method* GrpcServerMetrics::ForMethod(
    const std::string& full_method) const {
  auto it = methods_.find(full_method);
  return it != methods_.end() ? &it->second : &unknown_;
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
GrpcServerMetrics::NewInterceptorFactory() {
  return std::make_unique<MetricsInterceptorFactory>(*this);
}

}  // namespace cpns::observe
