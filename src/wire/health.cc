#include "wire/health.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/impl/server_builder_option.h>
#include <grpcpp/impl/server_builder_plugin.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace cpns::wire {

void EnableHealthService() { grpc::EnableDefaultHealthCheckService(true); }

namespace {

// Removes the reflection plugin from the builder's plugins before it builds.
class NoReflectionOption final : public grpc::ServerBuilderOption {
 public:
  void UpdateArguments(grpc::ChannelArguments*) override {}
  void UpdatePlugins(std::vector<std::unique_ptr<grpc::ServerBuilderPlugin>>* plugins) override {
    // The name ProtoServerReflectionPlugin::name() returns.
    std::erase_if(*plugins, [](const std::unique_ptr<grpc::ServerBuilderPlugin>& p) {
      return p->name() == "proto_server_reflection";
    });
  }
};

}  // namespace

void WithoutReflection(grpc::ServerBuilder& builder) {
  builder.SetOption(std::make_unique<NoReflectionOption>());
}

void Readiness::Set(bool ready, std::string reason) {
  MutexLock publish(&publish_mu_);
  bool changed = false;
  {
    MutexLock lock(&mu_);
    changed = state_.ready != ready;  // a new reason alone is no news
    state_ = {ready, reason};
  }
  if (!changed) return;
  if (ready) spdlog::info("ready: {}", reason);
  if (!ready) spdlog::warn("not ready: {}", reason);
  for (const Binding* binding : bindings_) Publish(*binding, ready);
}

Readiness::State Readiness::Get() const {
  MutexLock lock(&mu_);
  return state_;
}

std::unique_ptr<Readiness::Binding> Readiness::Bind(grpc::Server& server,
                                                    std::vector<std::string> services) {
  auto binding = std::unique_ptr<Binding>(new Binding(*this, server, std::move(services)));
  MutexLock publish(&publish_mu_);
  bindings_.push_back(binding.get());
  Publish(*binding, Get().ready);
  return binding;
}

// A server built without the health service has none to publish on; after
// its Shutdown gRPC reports NOT_SERVING itself and ignores these calls.
void Readiness::Publish(const Binding& binding, bool ready) const {
  grpc::HealthCheckServiceInterface* health = binding.server_.GetHealthCheckService();
  if (health == nullptr) return;
  // Each name once (not the set-all call as well: a Watch would see each
  // flip twice).
  health->SetServingStatus("", ready);
  for (const std::string& service : binding.services_) health->SetServingStatus(service, ready);
}

Readiness::Binding::~Binding() {
  MutexLock publish(&readiness_.publish_mu_);
  auto& all = readiness_.bindings_;
  all.erase(std::remove(all.begin(), all.end(), this), all.end());
}

}  // namespace cpns::wire
