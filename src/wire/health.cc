#include "wire/health.h"

#include <grpcpp/health_check_service_interface.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace cpns::wire {

void EnableHealthService() { grpc::EnableDefaultHealthCheckService(true); }

void Readiness::Set(bool ready, std::string reason) {
  MutexLock publish(&publish_mu_);
  bool changed = false;
  {
    MutexLock lock(&mu_);
    changed = state_.ready != ready || state_.reason != reason;
    state_ = {ready, reason};
  }
  if (changed && ready) spdlog::info("ready: {}", reason);
  if (changed && !ready) spdlog::warn("not ready: {}", reason);
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
  health->SetServingStatus(ready);  // "" and every name set below
  for (const std::string& service : binding.services_) health->SetServingStatus(service, ready);
}

Readiness::Binding::~Binding() {
  MutexLock publish(&readiness_.publish_mu_);
  auto& all = readiness_.bindings_;
  all.erase(std::remove(all.begin(), all.end(), this), all.end());
}

}  // namespace cpns::wire
