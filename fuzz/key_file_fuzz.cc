// An assignee's saved EUKey assignment (cpns-pne request --save, read by
// cpns-pne authenticate and cpns-server keys revoke; src/assignee/key_file.cc),
// read through the real loader from a scratch file.
// Properties: what loads has valid identifiers, epoch >= 1 and 32-byte
// secrets; saved again it loads back unchanged.
#include <string>

#include "cpns/assignee/key_file.h"
#include "fuzz_util.h"

namespace {

using cpns::assignee::EUKeyAssignment;
using cpns::fuzz::Check;

bool Same(const EUKeyAssignment& a, const EUKeyAssignment& b) {
  return a.gw_id == b.gw_id && a.seed_epoch == b.seed_epoch &&
         a.assignee.entity_type == b.assignee.entity_type &&
         a.assignee.entity_id == b.assignee.entity_id && a.assignee.user_id == b.assignee.user_id &&
         a.not_after == b.not_after && a.second_seed == b.second_seed && a.eukey == b.eukey;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = cpns::fuzz::WriteScratchFile("keys", cpns::fuzz::AsText(data, size));
  const auto loaded = cpns::assignee::LoadAssignment(path);
  if (!loaded.ok()) {
    Check(loaded.status().code() == absl::StatusCode::kDataLoss ||
          loaded.status().code() == absl::StatusCode::kInvalidArgument);
    return 0;
  }
  Check(loaded->seed_epoch >= 1 && loaded->second_seed.size() == 32 && loaded->eukey.size() == 32);
  const std::string saved = cpns::fuzz::ScratchDir() + "/saved";
  Check(cpns::assignee::SaveAssignment(saved, *loaded).ok());
  const auto back = cpns::assignee::LoadAssignment(saved);
  Check(back.ok() && Same(*back, *loaded));
  return 0;
}
