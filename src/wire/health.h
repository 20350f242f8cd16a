// Readiness: whether a daemon can do its job now, with a one-line reason,
// and its publication on gRPC's standard health service
// (grpc.health.v1.Health, Check and Watch) of each grpc::Server bound to it.
//
// Thread-safe. Get() is cheap and never waits on a store or the network: it
// only reads the state last Set, so an HTTP probe may call it on every hit.
#ifndef CPNS_WIRE_HEALTH_H_
#define CPNS_WIRE_HEALTH_H_

#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <memory>
#include <string>
#include <vector>

#include "core/mutex.h"

namespace cpns::wire {

// Makes every grpc::Server built from now on serve grpc.health.v1.Health.
// Process-wide (gRPC keeps it in a global): the program calls it once,
// before it builds its servers.
void EnableHealthService();

// Server reflection comes with the program: linking gRPC's reflection
// library registers it for every server. This keeps it off `builder`'s
// server (unless --reflection).
void WithoutReflection(grpc::ServerBuilder& builder);

class Readiness {
 public:
  struct State {
    bool ready = false;
    std::string reason;  // one line; why not ready (may say why ready)
  };

  // Not ready, "starting", until the first Set.
  Readiness() = default;
  Readiness(const Readiness&) = delete;
  Readiness& operator=(const Readiness&) = delete;

  // Records the state. A flip of `ready` is published on every bound server
  // (so a Watch sees flips only) and logged (warning when becoming not
  // ready, info when ready), with the reason; a new reason alone is only
  // recorded, so a store failing with varying messages does not flood.
  void Set(bool ready, std::string reason);
  State Get() const;

  // Publishes this readiness on `server`'s health service, as the overall
  // service "" and as each of `services` (full names, e.g.
  // "cpns.v1.FirstSeedService"): now, and on every Set while the returned
  // binding lives. `server` must have been built after EnableHealthService()
  // and must outlive the binding; this Readiness must outlive it too.
  class Binding;
  std::unique_ptr<Binding> Bind(grpc::Server& server, std::vector<std::string> services);

 private:
  void Publish(const Binding& binding, bool ready) const;

  // Set and Bind serialize on publish_mu_, so a server never sees an older
  // state after a newer one; Get takes only mu_.
  mutable Mutex publish_mu_;
  std::vector<Binding*> bindings_ ABSL_GUARDED_BY(publish_mu_);
  mutable Mutex mu_;
  State state_ ABSL_GUARDED_BY(mu_){false, "starting"};
};

class Readiness::Binding {
 public:
  ~Binding();
  Binding(const Binding&) = delete;
  Binding& operator=(const Binding&) = delete;

 private:
  friend class Readiness;
  Binding(Readiness& readiness, grpc::Server& server, std::vector<std::string> services)
      : readiness_(readiness), server_(server), services_(std::move(services)) {}

  Readiness& readiness_;
  grpc::Server& server_;
  const std::vector<std::string> services_;
};

}  // namespace cpns::wire

#endif  // CPNS_WIRE_HEALTH_H_
