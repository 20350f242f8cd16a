// RefusalAudit: the audit log's record of refused calls from callers that
// did not authenticate, aggregated so that a flood of them costs the store
// almost nothing.
//
// Refusals are counted in memory per (peer, reason) and written as one
// auth.refused row per key and interval, with the count and one sample
// refusal (its ids shortened: never an attacker's 255-byte ids in every row).
// A peer is an IPv4 address or an IPv6 /64 (wire::PeerKey). At most `max_keys`
// keys are held; past that, refusals count in one
// "peer:other" key per reason. Rows are written once per interval by a
// background thread, and by Flush() (at shutdown). Thread-safe; Count() never
// touches the store.
#ifndef CPNS_SERVER_REFUSAL_AUDIT_H_
#define CPNS_SERVER_REFUSAL_AUDIT_H_

#include <cstdint>
#include <map>
#include <string>
#include <thread>
#include <utility>

#include "absl/time/time.h"
#include "core/mutex.h"
#include "storage/seed_store.h"

namespace cpns::server {

struct RefusalAuditOptions {
  absl::Duration interval = absl::Seconds(60);
  size_t max_keys = 64;
};

// The actor of the aggregate that holds refusals past max_keys.
inline constexpr char kOtherPeers[] = "peer:other";

class RefusalAudit {
 public:
  // `store` must outlive this.
  RefusalAudit(storage::AuditLog& store, RefusalAuditOptions options)
      : store_(store), options_(options) {}
  ~RefusalAudit();  // Stop()

  // Starts the thread that flushes once per interval.
  void Start();
  // Stops that thread and flushes what is left.
  void Stop();

  // Counts one refusal of `peer` ("ipv4:1.2.3.4") for `reason` (a status
  // code name). `sample` describes it, kept for the key's first refusal.
  // True for the key's first refusal in this interval (worth a log line).
  bool Count(absl::string_view peer, absl::string_view reason, std::string sample);

  // Writes one row per key counted since the last flush, and forgets them.
  // Rows that cannot be written are logged and dropped (never retried
  // forever: the store may be what fails).
  absl::Status Flush();

 private:
  struct Tally {
    int64_t count = 0;
    std::string sample;
  };
  using Key = std::pair<std::string, std::string>;  // actor, reason

  storage::AuditLog& store_;
  const RefusalAuditOptions options_;
  Mutex mu_;
  std::map<Key, Tally> tallies_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread flusher_;
};


// An identifier from the network as an aggregated audit row may hold it:
// itself if valid and at most 32 bytes; else its first 16 bytes, its length
// and a short hash ("<invalid>" if it is not a valid identifier).
std::string ShortId(absl::string_view id);

}  // namespace cpns::server

#endif  // CPNS_SERVER_REFUSAL_AUDIT_H_
