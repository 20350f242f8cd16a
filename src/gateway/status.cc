#include "gateway/status.h"

#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace cpns::gateway {
namespace {

using nlohmann::json;

constexpr char kFormatKey[] = "status_format";

// Reads the fields of one JSON object, naming each by its path from the top
// ("upstream.last_contact") in errors. Holds a reference: lives within one
// FromJson call.
class Fields {
 public:
  Fields(const json& object, std::string path) : object_(object), path_(std::move(path)) {}

  bool Has(const std::string& key) const { return object_.contains(key); }

  absl::StatusOr<bool> Bool(const std::string& key) const {
    CPNS_ASSIGN_OR_RETURN(const json* v, Get(key, &json::is_boolean, "true or false"));
    return v->get<bool>();
  }
  absl::StatusOr<std::string> String(const std::string& key) const {
    CPNS_ASSIGN_OR_RETURN(const json* v, Get(key, &json::is_string, "a string"));
    return v->get<std::string>();
  }
  // An integer in [lo, hi].
  absl::StatusOr<int64_t> Int(const std::string& key,
                              int64_t lo = std::numeric_limits<int64_t>::min(),
                              int64_t hi = std::numeric_limits<int64_t>::max()) const {
    CPNS_ASSIGN_OR_RETURN(const json* v, Get(key, &json::is_number_integer, "an integer"));
    const bool in_range = v->is_number_unsigned()
                              ? v->get<uint64_t>() <= static_cast<uint64_t>(hi)
                              : v->get<int64_t>() >= lo && v->get<int64_t>() <= hi;
    if (!in_range) {
      return absl::DataLossError(absl::StrCat("gateway status: field ", Name(key), " is ",
                                              v->dump(), ", not from ", lo, " to ", hi));
    }
    return v->get<int64_t>();
  }
  // A count: an integer from 0.
  absl::StatusOr<uint64_t> Count(const std::string& key) const {
    CPNS_ASSIGN_OR_RETURN(int64_t n, Int(key, 0));
    return static_cast<uint64_t>(n);
  }
  // An integer, or null for none.
  absl::StatusOr<std::optional<int64_t>> IntOrNull(const std::string& key) const {
    if (const auto it = object_.find(key); it != object_.end() && it->is_null()) {
      return std::optional<int64_t>();
    }
    CPNS_ASSIGN_OR_RETURN(int64_t v, Int(key));
    return std::optional<int64_t>(v);
  }
  absl::StatusOr<Fields> Object(const std::string& key) const {
    CPNS_ASSIGN_OR_RETURN(const json* v, Get(key, &json::is_object, "an object"));
    return Fields(*v, Name(key));
  }
  const json& object() const { return object_; }

  std::string Name(const std::string& key) const {
    return path_.empty() ? key : absl::StrCat(path_, ".", key);
  }

 private:
  absl::StatusOr<const json*> Get(const std::string& key, bool (json::*is)() const noexcept,
                                  absl::string_view expected) const {
    const auto it = object_.find(key);
    if (it == object_.end()) {
      return absl::DataLossError(absl::StrCat("gateway status: field ", Name(key), " is missing"));
    }
    if (!((*it).*is)()) {
      return absl::DataLossError(absl::StrCat("gateway status: field ", Name(key), " should be ",
                                              expected, ", is ", it->type_name()));
    }
    return &*it;
  }

  const json& object_;
  const std::string path_;
};

// The format number, read before anything else: another format may have
// other fields. A status without one was written before formats were
// numbered, with the fields of format 1.
absl::StatusOr<int> ReadFormat(const Fields& top) {
  int format = 1;
  if (top.Has(kFormatKey)) {
    CPNS_ASSIGN_OR_RETURN(int64_t n, top.Int(kFormatKey, std::numeric_limits<int>::min(),
                                             std::numeric_limits<int>::max()));
    format = static_cast<int>(n);
  }
  if (format >= kOldestReadableGatewayStatusFormat && format <= kGatewayStatusFormat) {
    return format;
  }
  std::string both = absl::StrCat("status written by a gateway of status format v", format,
                                  "; this cpns-gw reads v", kOldestReadableGatewayStatusFormat);
  if (kOldestReadableGatewayStatusFormat != kGatewayStatusFormat) {
    absl::StrAppend(&both, " to v", kGatewayStatusFormat);
  }
  if (format > kGatewayStatusFormat) {
    return absl::FailedPreconditionError(absl::StrCat(both, ": upgrade cpns-gw"));
  }
  return absl::FailedPreconditionError(absl::StrCat(
      both, ": restart the gateway daemon with this version (or read its status with the "
            "cpns-gw of the running daemon)"));
}

absl::StatusOr<std::optional<HeldSeedStatus>> SeedFromJson(const Fields& seed) {
  CPNS_ASSIGN_OR_RETURN(bool held, seed.Bool("held"));
  if (!held) return std::optional<HeldSeedStatus>();
  HeldSeedStatus s;
  CPNS_ASSIGN_OR_RETURN(int64_t epoch, seed.Int("seed_epoch", 0, UINT32_MAX));
  s.seed_epoch = static_cast<uint32_t>(epoch);
  CPNS_ASSIGN_OR_RETURN(s.created_at, seed.Int("created_at"));
  CPNS_ASSIGN_OR_RETURN(s.expires_at, seed.Int("expires_at"));
  CPNS_ASSIGN_OR_RETURN(s.expired, seed.Bool("expired"));
  return std::optional<HeldSeedStatus>(std::move(s));
}

absl::StatusOr<UpstreamStatus> UpstreamFromJson(const Fields& up) {
  UpstreamStatus s;
  CPNS_ASSIGN_OR_RETURN(s.reachable, up.Bool("reachable"));
  CPNS_ASSIGN_OR_RETURN(s.unreachable_since, up.IntOrNull("unreachable_since"));
  CPNS_ASSIGN_OR_RETURN(s.last_contact, up.IntOrNull("last_contact"));
  CPNS_ASSIGN_OR_RETURN(s.first_seed_requests, up.Count("first_seed_requests"));
  return s;
}

absl::StatusOr<UplinkStatus> UplinkFromJson(const Fields& link) {
  UplinkStatus s;
  CPNS_ASSIGN_OR_RETURN(bool held, link.Bool("held"));
  if (!held) return s;
  HeldUplinkStatus h;
  CPNS_ASSIGN_OR_RETURN(h.gw_id, link.String("gw_id"));
  CPNS_ASSIGN_OR_RETURN(int64_t epoch, link.Int("seed_epoch", 0, UINT32_MAX));
  h.seed_epoch = static_cast<uint32_t>(epoch);
  CPNS_ASSIGN_OR_RETURN(h.not_after, link.Int("not_after"));
  s.held = std::move(h);
  return s;
}

absl::StatusOr<std::map<std::string, uint64_t>> RefusalsFromJson(const Fields& refusals) {
  std::map<std::string, uint64_t> out;
  for (const auto& item : refusals.object().items()) {
    CPNS_ASSIGN_OR_RETURN(out[item.key()], refusals.Count(item.key()));
  }
  return out;
}

}  // namespace

json ToJson(const GatewayStatus& s) {
  json out = {{kFormatKey, s.format},
              {"gw_id", s.gw_id},
              {"admission", s.admission},
              {"written_at", s.written_at}};
  json seed = {{"held", s.seed.has_value()}};
  if (s.seed) {
    seed["seed_epoch"] = s.seed->seed_epoch;
    seed["created_at"] = s.seed->created_at;
    seed["expires_at"] = s.seed->expires_at;
    seed["expired"] = s.seed->expired;
  }
  out["seed"] = std::move(seed);
  auto or_null = [](const std::optional<int64_t>& t) { return t ? json(*t) : json(nullptr); };
  out["upstream"] = {{"reachable", s.upstream.reachable},
                     {"unreachable_since", or_null(s.upstream.unreachable_since)},
                     {"last_contact", or_null(s.upstream.last_contact)},
                     {"first_seed_requests", s.upstream.first_seed_requests}};
  out["assignments_issued"] = s.assignments_issued;
  if (s.uplink) {
    json link = {{"held", s.uplink->held.has_value()}};
    if (s.uplink->held) {
      link["gw_id"] = s.uplink->held->gw_id;
      link["seed_epoch"] = s.uplink->held->seed_epoch;
      link["not_after"] = s.uplink->held->not_after;
    }
    out["uplink"] = std::move(link);
  }
  out["refusals"] = json::object();
  for (const auto& [reason, n] : s.refusals) out["refusals"][reason] = n;
  return out;
}

std::string ToJsonText(const GatewayStatus& status) {
  return ToJson(status).dump(-1, ' ', false, json::error_handler_t::replace);
}

absl::StatusOr<GatewayStatus> FromJson(const json& j) {
  if (!j.is_object()) return absl::DataLossError("gateway status: not a JSON object");
  const Fields top(j, "");
  GatewayStatus s;
  CPNS_ASSIGN_OR_RETURN(s.format, ReadFormat(top));
  CPNS_ASSIGN_OR_RETURN(s.gw_id, top.String("gw_id"));
  CPNS_ASSIGN_OR_RETURN(s.admission, top.String("admission"));
  CPNS_ASSIGN_OR_RETURN(s.written_at, top.Int("written_at"));
  CPNS_ASSIGN_OR_RETURN(Fields seed, top.Object("seed"));
  CPNS_ASSIGN_OR_RETURN(s.seed, SeedFromJson(seed));
  CPNS_ASSIGN_OR_RETURN(Fields upstream, top.Object("upstream"));
  CPNS_ASSIGN_OR_RETURN(s.upstream, UpstreamFromJson(upstream));
  CPNS_ASSIGN_OR_RETURN(s.assignments_issued, top.Count("assignments_issued"));
  if (top.Has("uplink")) {
    CPNS_ASSIGN_OR_RETURN(Fields uplink, top.Object("uplink"));
    CPNS_ASSIGN_OR_RETURN(s.uplink, UplinkFromJson(uplink));
  }
  CPNS_ASSIGN_OR_RETURN(Fields refusals, top.Object("refusals"));
  CPNS_ASSIGN_OR_RETURN(s.refusals, RefusalsFromJson(refusals));
  return s;
}

absl::StatusOr<GatewayStatus> ParseGatewayStatus(absl::string_view text) {
  const json j = json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return absl::DataLossError("gateway status: the stored text is not JSON");
  return FromJson(j);
}

bool ChangedSince(const GatewayStatus& before, const GatewayStatus& now) {
  GatewayStatus same_time = before;
  same_time.written_at = now.written_at;
  return !(same_time == now);
}

}  // namespace cpns::gateway
