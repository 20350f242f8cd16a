#include "server/store_probe.h"

#include "absl/strings/str_cat.h"
#include "storage/store_deadline.h"

namespace cpns::server {

std::unique_ptr<StoreProbe> StoreProbe::Start(storage::SchemaAdmin& store,
                                              wire::Readiness& readiness,
                                              StoreProbeOptions options) {
  std::unique_ptr<StoreProbe> probe(new StoreProbe(store, readiness, options));
  probe->ProbeOnce();
  probe->thread_ = std::thread([p = probe.get()] { p->Loop(); });
  return probe;
}

StoreProbe::~StoreProbe() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    mu_.SignalAll();
  }
  if (thread_.joinable()) thread_.join();
}

void StoreProbe::MarkCorrupt(const absl::Status& why) {
  MutexLock lock(&mu_);
  corrupt_ = true;
  Publish(false, absl::StrCat("store corrupt: ", why.message()));
}

// The store call runs without the lock; its outcome is published under it, so
// it cannot overwrite a corruption found meanwhile.
void StoreProbe::ProbeOnce() {
  absl::StatusOr<int> version;
  {
    storage::ScopedStoreDeadline bound(absl::Now() + options_.timeout);
    version = store_.SchemaVersion();
  }
  MutexLock lock(&mu_);
  if (corrupt_) return;
  if (version.ok()) {
    Publish(true, "the store answers");
  } else {
    Publish(false, absl::StrCat("store unreachable: ", version.status().message()));
  }
}

void StoreProbe::Publish(bool ready, const std::string& reason) {
  readiness_.Set(ready, reason);
  if (options_.up != nullptr) options_.up->Set(ready ? 1 : 0);
}

void StoreProbe::Loop() {
  for (;;) {
    {
      MutexLock lock(&mu_);
      auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      if (mu_.AwaitWithDeadline(stopping, absl::Now() + options_.interval)) return;
    }
    ProbeOnce();
  }
}

}  // namespace cpns::server
