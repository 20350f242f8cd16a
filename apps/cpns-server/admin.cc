// The operator's lifecycle commands: gateways, seeds rotate|retire|revoke,
// keys revoke, audit list. They work on the store directly: whoever can open
// the database (its file permissions, or PostgreSQL credentials) is an
// administrator, and every change is recorded in the audit log under the
// operating-system user who made it.
#include <pwd.h>
#include <unistd.h>

#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "commands.h"
#include "common/cli.h"
#include "cpns/assignee/key_file.h"
#include "cpns/core/clock.h"
#include "cpns/core/hex.h"
#include "cpns/core/kdf.h"
#include "storage/kek.h"
#include "storage/open_store.h"
#include "storage/seed_store.h"

namespace cpns::server_cli {
namespace {

using nlohmann::json;
using storage::SeedStore;

int Fail(const absl::Status& s) { return cli::Fail(kProgram, s); }

std::string Utc(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone());
}

json SeedJson(const storage::SeedRecord& s) {
  return {{"gw_id", s.gw_id.value()},
          {"seed_epoch", s.seed_epoch},
          {"state", std::string(storage::SeedStateName(s.state))},
          {"created_at", absl::ToUnixSeconds(s.created_at)},
          {"created_at_utc", Utc(s.created_at)},
          {"expires_at", absl::ToUnixSeconds(s.expires_at)},
          {"expires_at_utc", Utc(s.expires_at)},
          {"kek_id", s.kek_id}};
}

json GatewayJson(const storage::GatewayRecord& g, bool with_seeds) {
  const storage::SeedRecord* active = g.active();
  json out = {{"gw_id", g.gw_id.value()},
              {"revoked", g.revoked_at.has_value()},
              {"active_epoch", active != nullptr ? json(active->seed_epoch) : json(nullptr)},
              {"epochs", g.seeds.size()}};
  if (g.revoked_at) {
    out["revoked_at"] = absl::ToUnixSeconds(*g.revoked_at);
    out["revoke_reason"] = g.revoke_reason;
  }
  if (with_seeds) {
    out["seeds"] = json::array();
    for (const auto& s : g.seeds) out["seeds"].push_back(SeedJson(s));
  }
  return out;
}

void PrintGateway(const storage::GatewayRecord& g, bool with_seeds) {
  const storage::SeedRecord* active = g.active();
  std::cout << g.gw_id.value() << "  "
            << (g.revoked_at ? absl::StrCat("REVOKED ", Utc(*g.revoked_at), " (",
                                            g.revoke_reason, ")")
                             : active ? absl::StrCat("active epoch ", active->seed_epoch)
                                      : std::string("no active epoch"))
            << "  " << g.seeds.size() << " epoch(s)\n";
  if (!with_seeds) return;
  for (const auto& s : g.seeds) {
    std::cout << "  epoch " << s.seed_epoch << "  " << storage::SeedStateName(s.state)
              << "  created " << Utc(s.created_at) << "  expires " << Utc(s.expires_at)
              << "  kek " << s.kek_id << "\n";
  }
}

// The store for an admin change that needs no seed bytes.
absl::StatusOr<std::unique_ptr<SeedStore>> OpenForAdmin(const Flags& f, const Clock& clock) {
  return storage::OpenSeedStore(f.db, {.create_if_missing = false, .writable = true}, clock);
}

// Prints the outcome of a change: a JSON object, or one line.
int Done(const Flags& f, const json& result, const std::string& line) {
  if (f.json) {
    std::cout << result.dump(2) << "\n";
  } else {
    std::cout << line << "\n";
  }
  return 0;
}

absl::StatusOr<GatewayId> FlagGateway(const Flags& f) { return GatewayId::Parse(f.gw_id); }

// The fingerprint of the key to revoke and, when known, its gateway.
absl::StatusOr<std::pair<std::string, std::string>> KeyToRevoke(const Flags& f) {
  const int given = !f.key_file.empty() + !f.second_seed.empty() + !f.fingerprint.empty();
  if (given != 1) {
    return absl::InvalidArgumentError(
        "give exactly one of --key-file, --second-seed or --fingerprint");
  }
  if (!f.key_file.empty()) {
    absl::StatusOr<assignee::EUKeyAssignment> a = assignee::LoadAssignment(f.key_file);
    if (!a.ok()) return a.status();
    return std::make_pair(SecondSeedFingerprint(a->second_seed), a->gw_id.value());
  }
  if (!f.second_seed.empty()) {
    absl::StatusOr<SecretBytes> seed = HexDecodeSecret("--second-seed", f.second_seed);
    if (!seed.ok()) return seed.status();
    if (seed->size() != kSecondSeedSize) {
      return absl::InvalidArgumentError("--second-seed must be 32 bytes (64 hex digits)");
    }
    return std::make_pair(SecondSeedFingerprint(*seed), f.gw_id);
  }
  absl::StatusOr<std::string> fp = HexDecode("--fingerprint", f.fingerprint);
  if (!fp.ok()) return fp.status();
  return std::make_pair(*fp, f.gw_id);
}

}  // namespace

std::string AdminActor() {
  const passwd* pw = ::getpwuid(::geteuid());
  char host[256] = {};
  ::gethostname(host, sizeof(host) - 1);
  return absl::StrCat("admin:", pw != nullptr ? pw->pw_name : absl::StrCat("uid", ::geteuid()),
                      "@", host);
}

int GatewaysList(const Flags& f, bool one) {
  RealClock clock;
  auto store = storage::OpenSeedStore(f.db, {.create_if_missing = false}, clock);
  if (!store.ok()) return Fail(store.status());
  std::optional<GatewayId> only;
  if (one) {
    absl::StatusOr<GatewayId> gw = FlagGateway(f);
    if (!gw.ok()) return Fail(gw.status());
    only = *gw;
  }
  auto gateways = (*store)->ListGateways(only);
  if (!gateways.ok()) return Fail(gateways.status());
  if (one && gateways->empty()) {
    return Fail(absl::NotFoundError(absl::StrCat("gateway ", f.gw_id, " is unknown")));
  }
  if (one) {
    if (f.json) std::cout << GatewayJson(gateways->front(), true).dump(2) << "\n";
    else PrintGateway(gateways->front(), true);
    return 0;
  }
  json out = json::array();
  for (const auto& g : *gateways) {
    if (f.json) out.push_back(GatewayJson(g, false));
    else PrintGateway(g, false);
  }
  if (f.json) std::cout << out.dump(2) << "\n";
  return 0;
}

int GatewaysRevoke(const Flags& f) {
  RealClock clock;
  absl::StatusOr<GatewayId> gw = FlagGateway(f);
  if (!gw.ok()) return Fail(gw.status());
  auto store = OpenForAdmin(f, clock);
  if (!store.ok()) return Fail(store.status());
  if (absl::Status s = (*store)->RevokeGateway(*gw, f.reason, AdminActor()); !s.ok()) {
    return Fail(s);
  }
  return Done(f, {{"gw_id", gw->value()}, {"revoked", true}},
              absl::StrCat("revoked gateway ", gw->value(),
                           ": its epochs no longer authenticate and it gets no 1st seed"));
}

int SeedsRotate(const Flags& f) {
  RealClock clock;
  absl::StatusOr<GatewayId> gw = FlagGateway(f);
  if (!gw.ok()) return Fail(gw.status());
  absl::StatusOr<absl::Duration> lifetime = cli::ParseDuration("--lifetime", f.lifetime);
  if (!lifetime.ok()) return Fail(lifetime.status());
  absl::StatusOr<std::vector<std::string>> files = KekFiles(f, /*create_default=*/false);
  if (!files.ok()) return Fail(files.status());
  absl::StatusOr<storage::KeyRing> keys = storage::LoadKeyRing(*files);
  if (!keys.ok()) return Fail(keys.status());
  auto store = storage::OpenSeedStore(f.db, {.keys = &*keys, .create_if_missing = false}, clock);
  if (!store.ok()) return Fail(store.status());
  absl::StatusOr<storage::SeedRecord> fresh = (*store)->Rotate(*gw, *lifetime, AdminActor());
  if (!fresh.ok()) return Fail(fresh.status());
  return Done(f, SeedJson(*fresh),
              absl::StrCat("gateway ", gw->value(), ": epoch ", fresh->seed_epoch,
                           " is active, expires ", Utc(fresh->expires_at),
                           "; older epochs keep authenticating until retired"));
}

int SeedsRetireOrRevoke(const Flags& f, bool revoke) {
  RealClock clock;
  absl::StatusOr<GatewayId> gw = FlagGateway(f);
  if (!gw.ok()) return Fail(gw.status());
  auto store = OpenForAdmin(f, clock);
  if (!store.ok()) return Fail(store.status());
  const absl::Status s = revoke ? (*store)->RevokeEpoch(*gw, f.epoch, f.reason, AdminActor())
                                : (*store)->Retire(*gw, f.epoch, AdminActor());
  if (!s.ok()) return Fail(s);
  const char* what = revoke ? "revoked" : "retired";
  return Done(f, {{"gw_id", gw->value()}, {"seed_epoch", f.epoch}, {"state", what}},
              absl::StrCat("gateway ", gw->value(), " epoch ", f.epoch, " ", what,
                           ": keys under it no longer authenticate"));
}

int KeysRevoke(const Flags& f) {
  RealClock clock;
  absl::StatusOr<std::pair<std::string, std::string>> key = KeyToRevoke(f);
  if (!key.ok()) return Fail(key.status());
  auto store = OpenForAdmin(f, clock);
  if (!store.ok()) return Fail(store.status());
  const auto& [fingerprint, gw_id] = *key;
  if (absl::Status s = (*store)->RevokeKey(fingerprint, gw_id, f.reason, AdminActor()); !s.ok()) {
    return Fail(s);
  }
  return Done(f, {{"fingerprint", HexEncode(fingerprint)}, {"gw_id", gw_id}, {"revoked", true}},
              absl::StrCat("revoked the EUKey with fingerprint ", HexEncode(fingerprint)));
}

int SeedsList(const Flags& f) {
  RealClock clock;
  auto store = storage::OpenSeedStore(f.db, {.create_if_missing = false}, clock);
  if (!store.ok()) return Fail(store.status());
  auto seeds = (*store)->List();
  if (!seeds.ok()) return Fail(seeds.status());
  json out = json::array();
  for (const auto& s : *seeds) {
    if (f.json) {
      out.push_back(SeedJson(s));
    } else {
      std::cout << s.gw_id.value() << "  epoch " << s.seed_epoch << "  "
                << storage::SeedStateName(s.state) << "  created " << Utc(s.created_at)
                << "  expires " << Utc(s.expires_at) << "  kek " << s.kek_id << "\n";
    }
  }
  if (f.json) std::cout << out.dump(2) << "\n";
  return 0;
}

int AuditList(const Flags& f) {
  RealClock clock;
  auto store = storage::OpenSeedStore(f.db, {.create_if_missing = false}, clock);
  if (!store.ok()) return Fail(store.status());
  auto events = (*store)->ListAudit(
      {.after_id = f.after, .limit = f.limit, .gw_id = f.gw_id, .action = f.action});
  if (!events.ok()) return Fail(events.status());
  json out = json::array();
  for (const auto& e : *events) {
    if (f.json) {
      out.push_back({{"id", e.id},
                     {"at", absl::ToUnixSeconds(e.at)},
                     {"at_utc", Utc(e.at)},
                     {"actor", e.actor},
                     {"action", e.action},
                     {"gw_id", e.gw_id},
                     {"seed_epoch", e.seed_epoch},
                     {"detail", e.detail},
                     {"count", e.count}});
    } else {
      std::cout << e.id << "  " << Utc(e.at) << "  " << e.action << "  " << e.actor << "  "
                << (e.gw_id.empty() ? "-" : e.gw_id) << "  "
                << (e.seed_epoch ? absl::StrCat("epoch ", e.seed_epoch) : std::string("-"))
                << "  " << (e.count != 1 ? absl::StrCat("x", e.count, "  ") : std::string())
                << e.detail << "\n";
    }
  }
  if (f.json) std::cout << out.dump(2) << "\n";
  return 0;
}

}  // namespace cpns::server_cli
