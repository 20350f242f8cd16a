// An assignee's saved EUKey assignment (cpns-pne request --save FILE).
//
// Text, one "key value" per line, written atomically with mode 0600:
//   cpns-eukey-assignment 1
//   gw_id, seed_epoch, entity_type, entity_id, user_id, not_after,
//   second_seed (hex), eukey (hex)
// Thread-compatible functions.
#ifndef CPNS_ASSIGNEE_KEY_FILE_H_
#define CPNS_ASSIGNEE_KEY_FILE_H_

#include <string>

#include "absl/status/statusor.h"
#include "cpns/assignee/eukey_client.h"

namespace cpns::assignee {

absl::Status SaveAssignment(const std::string& path, const EUKeyAssignment& assignment);

// NotFound for a missing file; DataLoss naming the field for a malformed one.
absl::StatusOr<EUKeyAssignment> LoadAssignment(const std::string& path);

}  // namespace cpns::assignee

#endif  // CPNS_ASSIGNEE_KEY_FILE_H_
