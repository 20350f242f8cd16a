#include "assignee_uplink.h"

#include "absl/strings/str_cat.h"
#include "core/status_macros.h"
#include "cpns/assignee/eukey_client.h"
#include "cpns/assignee/key_file.h"

namespace cpns::gw_cli {
namespace {

gateway::UplinkInfo Shown(const assignee::EUKeyAssignment& a) {
  return {a.gw_id.value(), a.seed_epoch, a.not_after};
}

// Thread-compatible; the gateway's Uplink calls it from one thread at a time.
class AssigneeUplinkSource final : public gateway::UplinkKeySource {
 public:
  AssigneeUplinkSource(std::unique_ptr<assignee::EUKeyClient> client, Assignee self,
                       SecretBytes pairing_code, std::string key_file)
      : client_(std::move(client)), self_(std::move(self)),
        pairing_code_(std::move(pairing_code)), key_file_(std::move(key_file)) {}

  absl::StatusOr<gateway::UplinkInfo> LoadKept() override {
    CPNS_ASSIGN_OR_RETURN(assignee::EUKeyAssignment kept, assignee::LoadAssignment(key_file_));
    return Shown(kept);
  }

  absl::StatusOr<gateway::UplinkInfo> RequestAndKeep(absl::Duration timeout) override {
    CPNS_ASSIGN_OR_RETURN(
        assignee::EUKeyAssignment got,
        client_->Request(self_, timeout, pairing_code_));
    CPNS_RETURN_IF_ERROR(assignee::SaveAssignment(key_file_, got));
    return Shown(got);
  }

 private:
  const std::unique_ptr<assignee::EUKeyClient> client_;
  const Assignee self_;
  const SecretBytes pairing_code_;
  const std::string key_file_;
};

absl::StatusOr<std::unique_ptr<gateway::UplinkKeySource>> MakeSource(
    const UplinkOptions& options, const GatewayId& own_id, const std::string& key_file) {
  // The assignee library names its own flags (--gateway, --cert, ...); the
  // operator typed --uplink-*.
  auto in_uplink = [](const absl::Status& s) {
    return absl::Status(s.code(), absl::StrCat("--uplink-*: ", s.message()));
  };
  absl::StatusOr<UserId> user = UserId::Parse(options.user_id);
  if (!user.ok()) return in_uplink(user.status());
  CPNS_ASSIGN_OR_RETURN(EntityId entity, EntityId::Parse(own_id.value()));
  absl::StatusOr<std::unique_ptr<assignee::EUKeyClient>> client =
      assignee::EUKeyClient::Create({.gateway = options.gateway,
                                     .gateway_ca_file = options.gateway_ca_file,
                                     .cert_file = options.cert_file,
                                     .key_file = options.key_file});
  if (!client.ok()) return in_uplink(client.status());
  return std::make_unique<AssigneeUplinkSource>(std::move(*client),
                                                Assignee{EntityType::kPnGw, entity, *user},
                                                options.pairing_code, key_file);
}

}  // namespace

gateway::UplinkKeySourceFactory AssigneeUplink(UplinkOptions options) {
  if (options.gateway.empty()) return nullptr;
  return [options = std::move(options)](const GatewayId& own_id, const std::string& key_file) {
    return MakeSource(options, own_id, key_file);
  };
}

}  // namespace cpns::gw_cli
