// GatewayStatus: what the daemon reports to its owner. The daemon answers it
// over its status socket (status_socket.h) and writes it to gateway.db when
// it changes (Gateway::WriteStatusIfChanged); `cpns-gw status` reads it,
// possibly from a daemon of another version. One type and one JSON form for
// both, numbered by `status_format`; never secrets.
//
// The JSON keys are those `cpns-gw status --json` prints (docs/GATEWAY.md).
// A change that removes, renames or retypes a key, or changes its meaning,
// takes the next format number; a reader refuses any format it does not
// read, saying which side to upgrade, rather than guess.
//
// Thread-compatible functions; no exceptions escape.
#ifndef CPNS_GATEWAY_STATUS_H_
#define CPNS_GATEWAY_STATUS_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace cpns::gateway {

// The format this build writes and the oldest it reads. A status without
// `status_format` was written before formats were numbered; its keys are
// those of format 1, and it is read as format 1.
inline constexpr int kGatewayStatusFormat = 1;
inline constexpr int kOldestReadableGatewayStatusFormat = 1;

// Times are Unix seconds.
struct HeldSeedStatus {
  uint32_t seed_epoch = 0;
  int64_t created_at = 0;
  int64_t expires_at = 0;  // 0: unknown
  bool expired = false;    // when the status was written
  bool operator==(const HeldSeedStatus&) const = default;
};

struct UpstreamStatus {  // the CPNS Server, as the gateway sees it
  bool reachable = true;
  std::optional<int64_t> unreachable_since;  // none while reachable
  std::optional<int64_t> last_contact;       // none: not reached since start
  uint64_t first_seed_requests = 0;
  bool operator==(const UpstreamStatus&) const = default;
};

struct HeldUplinkStatus {  // what may be shown of the uplink key
  std::string gw_id;       // the upstream gateway
  uint32_t seed_epoch = 0;
  int64_t not_after = 0;
  bool operator==(const HeldUplinkStatus&) const = default;
};

struct UplinkStatus {
  std::optional<HeldUplinkStatus> held;  // none: not held (yet)
  bool operator==(const UplinkStatus&) const = default;
};

struct GatewayStatus {
  int format = kGatewayStatusFormat;
  std::string gw_id;
  std::string admission;  // AdmissionModeName
  int64_t written_at = 0;
  std::optional<HeldSeedStatus> seed;  // none: no 1st seed held
  UpstreamStatus upstream;
  uint64_t assignments_issued = 0;           // since start
  std::optional<UplinkStatus> uplink;        // none: no uplink configured
  std::map<std::string, uint64_t> refusals;  // by reason, since start
  bool operator==(const GatewayStatus&) const = default;
};

// Whether `now` differs from `before` in anything but written_at: what is
// worth a write to the disk.
bool ChangedSince(const GatewayStatus& before, const GatewayStatus& now);

nlohmann::json ToJson(const GatewayStatus& status);
// The stored text. Bytes that are not UTF-8 (in a refusal reason, say) are
// replaced, never thrown about.
std::string ToJsonText(const GatewayStatus& status);

// FailedPrecondition for a format this build does not read, naming both
// formats and what to upgrade; DataLoss naming the field (`seed.expires_at`)
// for a missing or mistyped one, or for text that is not a JSON object.
absl::StatusOr<GatewayStatus> FromJson(const nlohmann::json& json);
absl::StatusOr<GatewayStatus> ParseGatewayStatus(absl::string_view text);

}  // namespace cpns::gateway

#endif  // CPNS_GATEWAY_STATUS_H_
