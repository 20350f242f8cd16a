#include "server/refusal_audit.h"

#include <spdlog/spdlog.h>

#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/digest.h"
#include "cpns/core/hex.h"
#include "cpns/core/identifiers.h"
#include "storage/store_deadline.h"

namespace cpns::server {
namespace {

constexpr absl::Duration kFlushDeadline = absl::Seconds(10);

}  // namespace

RefusalAudit::~RefusalAudit() { Stop(); }

void RefusalAudit::Start() {
  flusher_ = std::thread([this] {
    for (;;) {
      {
        MutexLock lock(&mu_);
        const absl::Time next = absl::Now() + options_.interval;
        auto stopping = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
        if (mu_.AwaitWithDeadline(stopping, next)) return;
      }
      Flush().IgnoreError();  // Flush logs what it cannot write
    }
  });
}

void RefusalAudit::Stop() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    mu_.SignalAll();
  }
  if (flusher_.joinable()) flusher_.join();
  Flush().IgnoreError();
}

bool RefusalAudit::Count(absl::string_view peer, absl::string_view reason, std::string sample) {
  MutexLock lock(&mu_);
  Key key{absl::StrCat("peer:", peer), std::string(reason)};
  auto it = tallies_.find(key);
  if (it == tallies_.end() && tallies_.size() >= options_.max_keys) {
    key.first = kOtherPeers;
    it = tallies_.find(key);
    // The overflow keys (one per reason) may exceed max_keys by the few
    // status codes there are; nothing an attacker chooses adds more.
  }
  if (it == tallies_.end()) {
    it = tallies_.emplace(std::move(key), Tally{0, std::move(sample)}).first;
  }
  return ++it->second.count == 1;
}

absl::Status RefusalAudit::Flush() {
  std::map<Key, Tally> tallies;
  {
    MutexLock lock(&mu_);
    tallies.swap(tallies_);
  }
  // A stuck database must not hold the flusher (and so shutdown) for long:
  // the whole flush has one deadline, and the first failure ends it.
  const storage::ScopedStoreDeadline bound(absl::Now() + kFlushDeadline);
  uint64_t dropped = 0;
  absl::Status first_error;
  for (auto& [key, tally] : tallies) {
    if (!first_error.ok()) {
      dropped += tally.count;
      continue;
    }
    storage::AuditEvent e;
    e.actor = key.first;
    e.action = storage::kAuditAuthRefused;
    e.count = tally.count;
    e.detail = absl::StrCat(tally.count, " refusal(s) of unauthenticated calls, ", key.second,
                            "; first: ", tally.sample);
    if (absl::Status s = store_.AppendAudit(e); !s.ok()) {
      spdlog::error("cannot record {} refused authentication(s) of {} in the audit log: {}",
                    tally.count, key.first, s.ToString());
      first_error = s;
    }
  }
  if (dropped > 0) {
    spdlog::error("{} more refused authentication(s) not recorded in the audit log", dropped);
  }
  return first_error;
}

std::string ShortId(absl::string_view id) {
  if (!ValidateIdentifier("id", id).ok()) return "<invalid>";
  if (id.size() <= 32) return std::string(id);
  const std::string hash = LabeledSha256("cpns audit id", id).substr(0, 4);
  return absl::StrCat(id.substr(0, 16), "...(", id.size(), " bytes, sha256:", HexEncode(hash),
                      ")");
}

}  // namespace cpns::server
