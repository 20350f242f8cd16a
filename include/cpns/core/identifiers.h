// Validated identifiers of the CPNS key assignment system.
//
// Every identifier (gw_id, entity_id, user_id) is 1 to 255 bytes of printable
// ASCII (0x21-0x7E). Parse() is the only way in; past it nobody re-checks.
// Immutable values; thread-safe.
#ifndef CPNS_CORE_IDENTIFIERS_H_
#define CPNS_CORE_IDENTIFIERS_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cpns {

inline constexpr size_t kMaxIdentifierLength = 255;

// Returns InvalidArgument naming `field` and what is wrong, or OK.
absl::Status ValidateIdentifier(absl::string_view field, absl::string_view value);

namespace internal {
// Shared implementation of the three identifier types; `Tag` keeps them apart.
template <typename Tag>
class Identifier {
 public:
  static absl::StatusOr<Identifier> Parse(absl::string_view value) {
    if (absl::Status s = ValidateIdentifier(Tag::kField, value); !s.ok()) return s;
    return Identifier(std::string(value));
  }
  const std::string& value() const { return value_; }
  friend bool operator==(const Identifier&, const Identifier&) = default;
  friend auto operator<=>(const Identifier&, const Identifier&) = default;

 private:
  explicit Identifier(std::string v) : value_(std::move(v)) {}
  std::string value_;
};
struct GatewayIdTag { static constexpr absl::string_view kField = "gw_id"; };
struct EntityIdTag { static constexpr absl::string_view kField = "entity_id"; };
struct UserIdTag { static constexpr absl::string_view kField = "user_id"; };
}  // namespace internal

using GatewayId = internal::Identifier<internal::GatewayIdTag>;
using EntityId = internal::Identifier<internal::EntityIdTag>;
using UserId = internal::Identifier<internal::UserIdTag>;

// The kind of assignee. Its KDF encoding is the string "PNE" or "PNGW".
enum class EntityType { kPne, kPnGw };

// "PNE" or "PNGW".
absl::string_view EntityTypeName(EntityType type);
// Accepts "PNE" or "PNGW" (case-sensitive); InvalidArgument otherwise.
absl::StatusOr<EntityType> ParseEntityType(absl::string_view name);

// The identity an EUKey is bound to, besides the gateway.
struct Assignee {
  EntityType entity_type;
  EntityId entity_id;
  UserId user_id;
};

// The SAN URI prefix that carries a gateway identity in its certificate.
inline constexpr absl::string_view kGatewayUriPrefix = "urn:cpns:gw:";
// The SAN URI prefix that carries an entity id in a device certificate, issued
// by a device maker's CA (PROTOCOL 2.4).
inline constexpr absl::string_view kEntityUriPrefix = "urn:cpns:entity:";

}  // namespace cpns

#endif  // CPNS_CORE_IDENTIFIERS_H_
