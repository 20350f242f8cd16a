// Identifiers (gw_id, entity_id, user_id) and entity type names: the first
// check of every name a peer, a file or a flag gives (src/core/identifiers.*).
// Property: Parse accepts exactly 1-255 bytes of printable ASCII and keeps
// them unchanged; an entity type name round-trips.
#include "cpns/core/identifiers.h"
#include "fuzz_util.h"

namespace {

bool IsIdentifier(absl::string_view text) {
  if (text.empty() || text.size() > cpns::kMaxIdentifierLength) return false;
  for (char c : text) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using cpns::fuzz::Check;
  const absl::string_view text = cpns::fuzz::AsText(data, size);
  const bool expected = IsIdentifier(text);
  const auto gw = cpns::GatewayId::Parse(text);
  const auto entity = cpns::EntityId::Parse(text);
  const auto user = cpns::UserId::Parse(text);
  Check(gw.ok() == expected && entity.ok() == expected && user.ok() == expected);
  Check(cpns::ValidateIdentifier("field", text).ok() == expected);
  if (expected) {
    Check(gw->value() == text && entity->value() == text && user->value() == text);
  } else {
    Check(gw.status().code() == absl::StatusCode::kInvalidArgument);
  }
  const auto type = cpns::ParseEntityType(text);
  if (type.ok()) Check(cpns::EntityTypeName(*type) == text);
  return 0;
}
