#include "cpns/assignee/key_file.h"

#include <map>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "cpns/core/hex.h"
#include "cpns/core/kdf.h"

namespace cpns::assignee {
namespace {

constexpr absl::string_view kMagic = "cpns-eukey-assignment 1";

absl::Status Malformed(const std::string& path, absl::string_view why) {
  return absl::DataLossError(absl::StrCat("key file ", path, " is malformed: ", why));
}

// The value of `key`, or DataLoss naming it.
absl::StatusOr<absl::string_view> Field(const std::map<absl::string_view, absl::string_view>& f,
                                        const std::string& path, absl::string_view key) {
  auto it = f.find(key);
  if (it == f.end()) return Malformed(path, absl::StrCat("no ", key));
  return it->second;
}

absl::StatusOr<SecretBytes> SecretField(const std::map<absl::string_view, absl::string_view>& f,
                                        const std::string& path, absl::string_view key) {
  CPNS_ASSIGN_OR_RETURN(absl::string_view hex, Field(f, path, key));
  absl::StatusOr<SecretBytes> bytes = HexDecodeSecret(key, hex);
  if (!bytes.ok() || bytes->size() != 32) return Malformed(path, absl::StrCat("bad ", key));
  return bytes;
}

}  // namespace

absl::Status SaveAssignment(const std::string& path, const EUKeyAssignment& a) {
  std::string second = HexEncode(a.second_seed.RevealSecret());
  std::string eukey = HexEncode(a.eukey.RevealSecret());
  std::string text = absl::StrCat(
      kMagic, "\ngw_id ", a.gw_id.value(), "\nseed_epoch ", a.seed_epoch, "\nentity_type ",
      EntityTypeName(a.assignee.entity_type), "\nentity_id ", a.assignee.entity_id.value(),
      "\nuser_id ", a.assignee.user_id.value(), "\nnot_after ", a.not_after, "\nsecond_seed ",
      second, "\neukey ", eukey, "\n");
  absl::Status s = WriteFileAtomically(path, text, 0600);
  WipeString(second);
  WipeString(eukey);
  WipeString(text);
  return s;
}

absl::StatusOr<EUKeyAssignment> LoadAssignment(const std::string& path) {
  CPNS_ASSIGN_OR_RETURN(SecretBytes contents, ReadSecretFile(path));
  std::vector<absl::string_view> lines =
      absl::StrSplit(contents.RevealSecret(), '\n', absl::SkipEmpty());
  if (lines.empty() || lines[0] != kMagic) return Malformed(path, "not a cpns key file");
  std::map<absl::string_view, absl::string_view> f;
  for (size_t i = 1; i < lines.size(); ++i) {
    std::vector<absl::string_view> kv = absl::StrSplit(lines[i], absl::MaxSplits(' ', 1));
    if (kv.size() == 2) f[kv[0]] = kv[1];
  }
  CPNS_ASSIGN_OR_RETURN(absl::string_view gw, Field(f, path, "gw_id"));
  CPNS_ASSIGN_OR_RETURN(absl::string_view epoch_text, Field(f, path, "seed_epoch"));
  CPNS_ASSIGN_OR_RETURN(absl::string_view type_text, Field(f, path, "entity_type"));
  CPNS_ASSIGN_OR_RETURN(absl::string_view entity, Field(f, path, "entity_id"));
  CPNS_ASSIGN_OR_RETURN(absl::string_view user, Field(f, path, "user_id"));
  CPNS_ASSIGN_OR_RETURN(absl::string_view not_after_text, Field(f, path, "not_after"));
  uint32_t epoch = 0;
  int64_t not_after = 0;
  if (!absl::SimpleAtoi(epoch_text, &epoch) || epoch == 0) return Malformed(path, "bad seed_epoch");
  if (!absl::SimpleAtoi(not_after_text, &not_after)) return Malformed(path, "bad not_after");
  CPNS_ASSIGN_OR_RETURN(GatewayId gw_id, GatewayId::Parse(gw));
  CPNS_ASSIGN_OR_RETURN(EntityType type, ParseEntityType(type_text));
  CPNS_ASSIGN_OR_RETURN(EntityId entity_id, EntityId::Parse(entity));
  CPNS_ASSIGN_OR_RETURN(UserId user_id, UserId::Parse(user));
  CPNS_ASSIGN_OR_RETURN(SecretBytes second, SecretField(f, path, "second_seed"));
  CPNS_ASSIGN_OR_RETURN(SecretBytes eukey, SecretField(f, path, "eukey"));
  return EUKeyAssignment{gw_id, epoch, Assignee{type, entity_id, user_id}, not_after,
                         std::move(second), std::move(eukey)};
}

}  // namespace cpns::assignee
