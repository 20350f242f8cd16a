#include "cpns/core/identifiers.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace cpns {

absl::Status ValidateIdentifier(absl::string_view field, absl::string_view value) {
  if (value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is empty; it must be 1 to 255 bytes"));
  }
  if (value.size() > kMaxIdentifierLength) {
    return absl::InvalidArgumentError(absl::StrCat(field, " is ", value.size(),
                                                   " bytes long; at most 255 are allowed"));
  }
  for (size_t i = 0; i < value.size(); ++i) {
    const unsigned char c = static_cast<unsigned char>(value[i]);
    if (c < 0x21 || c > 0x7E) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s has byte 0x%02X at offset %d; only printable ASCII 0x21-0x7E is allowed", field, c,
          i));
    }
  }
  return absl::OkStatus();
}

absl::string_view EntityTypeName(EntityType type) {
  switch (type) {
    case EntityType::kPne:
      return "PNE";
    case EntityType::kPnGw:
      return "PNGW";
  }
  return "?";
}

absl::StatusOr<EntityType> ParseEntityType(absl::string_view name) {
  if (name == "PNE") return EntityType::kPne;
  if (name == "PNGW") return EntityType::kPnGw;
  return absl::InvalidArgumentError(
      absl::StrCat("entity_type '", name, "' is not one of PNE, PNGW"));
}

}  // namespace cpns
