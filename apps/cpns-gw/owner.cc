#include "owner.h"

#include <sys/stat.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "core/status_macros.h"
#include "cpns/core/clock.h"
#include "cpns/core/hex.h"
#include "gateway/state_db.h"
#include "gateway/status.h"
#include "gateway/status_socket.h"

namespace cpns::gw_cli {
namespace {

constexpr const char* kProgram = "cpns-gw";
int Fail(const absl::Status& s) { return cli::Fail(kProgram, s); }

std::string Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

// The state database of an existing state directory (never creates one: a
// typo in --state-dir must not look like an empty gateway).
absl::StatusOr<std::unique_ptr<gateway::GatewayStateDb>> OpenState(const std::string& dir,
                                                                  const Clock& clock) {
  struct stat st;
  if (dir.empty() || ::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return absl::NotFoundError(absl::StrCat("--state-dir ", dir, " is not a directory"));
  }
  return gateway::GatewayStateDb::Open(dir, clock);
}

// The entity and user named by --entity-type, --entity-id and --user-id.
absl::StatusOr<Assignee> Holder(const OwnerFlags& f) {
  CPNS_ASSIGN_OR_RETURN(EntityType type, ParseEntityType(f.entity_type));
  CPNS_ASSIGN_OR_RETURN(EntityId entity, EntityId::Parse(f.entity_id));
  CPNS_ASSIGN_OR_RETURN(UserId user, UserId::Parse(f.user_id));
  return Assignee{type, std::move(entity), std::move(user)};
}

std::string UtcOfUnix(int64_t seconds) { return Utc(absl::FromUnixSeconds(seconds)); }

void PrintSeedAndServer(const gateway::GatewayStatus& s) {
  if (s.seed) {
    std::cout << "1st seed: held, epoch " << s.seed->seed_epoch << ", expires "
              << UtcOfUnix(s.seed->expires_at) << (s.seed->expired ? " (EXPIRED)" : "") << "\n";
  } else {
    std::cout << "1st seed: not held\n";
  }
  if (s.upstream.unreachable_since) {
    std::cout << "CPNS Server: UNREACHABLE since " << UtcOfUnix(*s.upstream.unreachable_since)
              << "\n";
  }
  std::cout << "CPNS Server: "
            << (s.upstream.last_contact
                    ? absl::StrCat("last answered ", UtcOfUnix(*s.upstream.last_contact))
                    : std::string("not reached since start"))
            << "\n";
}

// Where the status came from: the running daemon, or the last one written.
struct StatusSource {
  bool live = false;
  std::string why_not_live;  // when not live
};

// `cpns-gw status` without --json. `pending` and `spent`: the pairing codes
// pending and spent by failed attempts, if they could be counted.
void PrintStatus(const gateway::GatewayStatus& s, const StatusSource& source,
                 const absl::StatusOr<int>& pending, const absl::StatusOr<int>& spent,
                 absl::Time now) {
  std::cout << "gateway " << s.gw_id << " (admission " << s.admission << "), ";
  if (source.live) {
    std::cout << "live from the running daemon\n";
  } else {
    std::cout << "last written " << UtcOfUnix(s.written_at) << " ("
              << absl::FormatDuration(absl::Seconds(absl::ToUnixSeconds(now) - s.written_at))
              << " ago); the daemon does not answer: " << source.why_not_live << "\n";
  }
  PrintSeedAndServer(s);
  std::cout << "assignments issued since start: " << s.assignments_issued << "\n";
  if (s.uplink) {
    const auto& held = s.uplink->held;
    std::cout << "uplink EUKey (this gateway as an assignee): "
              << (held ? absl::StrCat("held, from gateway ", held->gw_id, ", until ",
                                      UtcOfUnix(held->not_after))
                       : std::string("not held"))
              << "\n";
  }
  for (const auto& [reason, n] : s.refusals) {
    std::cout << "refused (" << reason << "): " << n << "\n";
  }
  if (pending.ok()) std::cout << "pending pairing codes: " << *pending << "\n";
  if (spent.ok() && *spent > 0) {
    std::cout << "pairing codes spent by failed attempts: " << *spent
              << " (cpns-gw pair list names them)\n";
  }
}

}  // namespace

int PairList(const OwnerFlags& f) {
  RealClock clock;
  auto state = OpenState(f.state_dir, clock);
  if (!state.ok()) return Fail(state.status());
  auto pending = (*state)->ListPendingPairingCodes();
  if (!pending.ok()) return Fail(pending.status());
  nlohmann::json out = nlohmann::json::array();
  for (const gateway::PendingPairingCode& p : *pending) {
    const std::string type(EntityTypeName(p.assignee.entity_type));
    if (f.json) {
      out.push_back({{"entity_type", type},
                     {"entity_id", p.assignee.entity_id.value()},
                     {"user_id", p.assignee.user_id.value()},
                     {"created_at", absl::ToUnixSeconds(p.created_at)},
                     {"expires_at", absl::ToUnixSeconds(p.expires_at)},
                     {"failed_attempts", p.failures},
                     {"state", p.spent ? "spent" : "pending"}});
    } else {
      std::cout << type << " " << p.assignee.entity_id.value() << " (user "
                << p.assignee.user_id.value() << "): made " << Utc(p.created_at)
                << ", valid until " << Utc(p.expires_at) << ", " << p.failures
                << " failed attempt(s)"
                << (p.spent ? "; SPENT by failed attempts: make a new code (pair add)" : "")
                << "\n";
    }
  }
  if (f.json) {
    std::cout << out.dump(2) << "\n";
  } else if (pending->empty()) {
    std::cout << "no pending pairing codes\n";
  }
  return 0;
}

int PairCancel(const OwnerFlags& f) {
  auto holder = Holder(f);
  if (!holder.ok()) return Fail(holder.status());
  RealClock clock;
  auto state = OpenState(f.state_dir, clock);
  if (!state.ok()) return Fail(state.status());
  auto cancelled = (*state)->CancelPairingCodes(*holder);
  if (!cancelled.ok()) return Fail(cancelled.status());
  if (*cancelled == 0) {
    return Fail(absl::NotFoundError(absl::StrCat("no pending pairing code for ", f.entity_type,
                                                 " ", f.entity_id, " (user ", f.user_id, ")")));
  }
  std::cout << "cancelled " << *cancelled << " pending pairing code(s) for " << f.entity_type
            << " " << f.entity_id << " (user " << f.user_id << ")\n";
  return 0;
}

int PairAdd(const OwnerFlags& f) {
  auto holder = Holder(f);
  if (!holder.ok()) return Fail(holder.status());
  auto ttl = cli::ParseDuration("--ttl", f.ttl);
  if (!ttl.ok()) return Fail(ttl.status());
  RealClock clock;
  ::umask(0077);
  auto state = OpenState(f.state_dir, clock);
  if (!state.ok()) return Fail(state.status());
  auto code = (*state)->AddPairingCode(*holder, *ttl);
  if (!code.ok()) return Fail(code.status());
  const absl::Time expires = clock.Now() + *ttl;
  if (f.json) {
    std::cout << nlohmann::json{{"code", std::string(code->RevealSecret())},
                                {"entity_type", f.entity_type},
                                {"entity_id", f.entity_id},
                                {"user_id", f.user_id},
                                {"expires_at", absl::ToUnixSeconds(expires)}}
                     .dump(2)
              << "\n";
  } else {
    std::cout << code->RevealSecret() << "\n"
              << "one-time pairing code for " << f.entity_type << " " << f.entity_id
              << " (user " << f.user_id << "), valid until " << Utc(expires) << "\n";
  }
  return 0;
}

int Status(const OwnerFlags& f) {
  RealClock clock;
  auto state = OpenState(f.state_dir, clock);
  if (!state.ok()) return Fail(state.status());
  // The running daemon's own answer first; the last status on disk otherwise.
  StatusSource source;
  absl::StatusOr<std::string> text =
      gateway::ReadLiveStatus(gateway::StatusSocketPath(f.state_dir), absl::Seconds(2));
  source.live = text.ok();
  if (!source.live) {
    source.why_not_live = std::string(text.status().message());
    text = (*state)->ReadStatus();
  }
  if (!text.ok()) return Fail(text.status());
  auto status = gateway::ParseGatewayStatus(*text);
  if (!status.ok()) return Fail(status.status());
  const absl::StatusOr<int> pending = (*state)->PendingPairingCodes();
  const absl::StatusOr<int> spent = (*state)->SpentPairingCodes();
  const absl::StatusOr<int64_t> without_code = (*state)->DecoyFailures();
  if (f.json) {
    // The status as the daemon wrote it (a newer daemon of the same format
    // may have added keys this one does not know), once it reads as valid.
    nlohmann::json out = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (!out.is_object()) out = gateway::ToJson(*status);
    if (pending.ok()) out["pending_pairing_codes"] = *pending;
    if (spent.ok()) out["spent_pairing_codes"] = *spent;
    if (without_code.ok()) out["failed_pairings_without_code"] = *without_code;
    out["live"] = source.live;
    std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    PrintStatus(*status, source, pending, spent, clock.Now());
    if (without_code.ok() && *without_code > 0) {
      std::cout << "failed pairing attempts for entities and users with no code: "
                << *without_code << "\n";
    }
  }
  return 0;
}

int AssignmentsList(const OwnerFlags& f) {
  RealClock clock;
  auto state = OpenState(f.state_dir, clock);
  if (!state.ok()) return Fail(state.status());
  auto records = (*state)->ListAssignments(0, 1'000'000);
  if (!records.ok()) return Fail(records.status());
  nlohmann::json out = nlohmann::json::array();
  for (const auto& r : *records) {
    if (f.json) {
      out.push_back({{"id", r.id},
                     {"at", absl::ToUnixSeconds(r.at)},
                     {"entity_type", std::string(EntityTypeName(r.assignee.entity_type))},
                     {"entity_id", r.assignee.entity_id.value()},
                     {"user_id", r.assignee.user_id.value()},
                     {"seed_epoch", r.seed_epoch},
                     {"second_seed_fingerprint", HexEncode(r.second_seed_fingerprint)},
                     {"not_after", r.not_after},
                     {"admitted_by", r.admitted_by},
                     {"peer", r.peer}});
    } else {
      std::cout << Utc(r.at) << "  " << EntityTypeName(r.assignee.entity_type) << " "
                << r.assignee.entity_id.value() << "  user " << r.assignee.user_id.value()
                << "  epoch " << r.seed_epoch << "  until " << Utc(absl::FromUnixSeconds(r.not_after))
                << "  " << r.admitted_by << "  fingerprint "
                << HexEncode(r.second_seed_fingerprint) << "\n";
    }
  }
  if (f.json) std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace cpns::gw_cli
