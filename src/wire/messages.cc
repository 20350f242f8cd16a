#include "wire/messages.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"

namespace cpns::wire {

cpns::v1::EntityType ToProto(EntityType type) {
  return type == EntityType::kPne ? cpns::v1::ENTITY_TYPE_PNE : cpns::v1::ENTITY_TYPE_PNGW;
}

absl::StatusOr<EntityType> FromProto(cpns::v1::EntityType type) {
  switch (type) {
    case cpns::v1::ENTITY_TYPE_PNE:
      return EntityType::kPne;
    case cpns::v1::ENTITY_TYPE_PNGW:
      return EntityType::kPnGw;
    case cpns::v1::ENTITY_TYPE_UNSPECIFIED:
      return absl::InvalidArgumentError(
          "entity_type is ENTITY_TYPE_UNSPECIFIED; it must be ENTITY_TYPE_PNE or ENTITY_TYPE_PNGW");
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("entity_type ", static_cast<int>(type), " is not a known EntityType"));
  }
}

namespace {

// The identity fields, numbered alike in both requests that carry them.
template <typename Request>
absl::StatusOr<Assignee> ParseIdentity(const Request& request) {
  CPNS_ASSIGN_OR_RETURN(EntityType type, FromProto(request.entity_type()));
  CPNS_ASSIGN_OR_RETURN(EntityId entity, EntityId::Parse(request.entity_id()));
  CPNS_ASSIGN_OR_RETURN(UserId user, UserId::Parse(request.user_id()));
  return Assignee{type, std::move(entity), std::move(user)};
}

template <typename Request>
Request MakeIdentity(const Assignee& assignee) {
  Request request;
  request.set_entity_type(ToProto(assignee.entity_type));
  request.set_entity_id(assignee.entity_id.value());
  request.set_user_id(assignee.user_id.value());
  return request;
}

}  // namespace

absl::StatusOr<Assignee> ParseAssignmentRequest(const cpns::v1::EUKeyAssignmentRequest& request) {
  return ParseIdentity(request);
}

cpns::v1::EUKeyAssignmentRequest MakeAssignmentRequest(const Assignee& assignee) {
  return MakeIdentity<cpns::v1::EUKeyAssignmentRequest>(assignee);
}

absl::StatusOr<Assignee> ParseStartPairingRequest(const cpns::v1::StartPairingRequest& request) {
  return ParseIdentity(request);
}

cpns::v1::StartPairingRequest MakeStartPairingRequest(const Assignee& assignee) {
  return MakeIdentity<cpns::v1::StartPairingRequest>(assignee);
}

}  // namespace cpns::wire
