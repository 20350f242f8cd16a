// StoreProbe: the server's readiness, from a cheap store call made every
// `interval` on its own thread, bounded by `timeout` through the store's
// deadline mechanism (storage/store_deadline.h), so a stalled database makes
// the server NOT_SERVING instead of blocking the probe. A store found
// corrupt (MarkCorrupt) keeps it not ready for good. The same outcome sets
// cpns_store_up, so an idle server reports its store too, not only one that
// is asked for seeds (GuardedStore sets it after each request's store call).
//
// Thread-safe. The readiness, the store and the gauge must outlive the probe; the
// destructor stops and joins its thread.
#ifndef CPNS_SERVER_STORE_PROBE_H_
#define CPNS_SERVER_STORE_PROBE_H_

#include <memory>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "core/mutex.h"
#include "observe/metrics.h"
#include "storage/seed_store.h"
#include "wire/health.h"

namespace cpns::server {

struct StoreProbeOptions {
  absl::Duration interval = absl::Seconds(5);
  absl::Duration timeout = absl::Seconds(2);  // of each probe
  // cpns_store_up: 1 after a probe the store answered, 0 after one it failed
  // or once corrupt. Null: no gauge.
  observe::Gauge* up = nullptr;
};

class StoreProbe {
 public:
  // Probes once (so the readiness is known when this returns), then every
  // interval until destroyed.
  static std::unique_ptr<StoreProbe> Start(storage::SchemaAdmin& store,
                                           wire::Readiness& readiness,
                                           StoreProbeOptions options = {});
  ~StoreProbe();
  StoreProbe(const StoreProbe&) = delete;
  StoreProbe& operator=(const StoreProbe&) = delete;

  // The store reported itself corrupt: not ready, with `why`, from now on.
  void MarkCorrupt(const absl::Status& why);

 private:
  StoreProbe(storage::SchemaAdmin& store, wire::Readiness& readiness, StoreProbeOptions options)
      : store_(store), readiness_(readiness), options_(options) {}
  void ProbeOnce();
  void Publish(bool ready, const std::string& reason) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Loop();

  storage::SchemaAdmin& store_;
  wire::Readiness& readiness_;
  const StoreProbeOptions options_;
  Mutex mu_;
  bool corrupt_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace cpns::server

#endif  // CPNS_SERVER_STORE_PROBE_H_
