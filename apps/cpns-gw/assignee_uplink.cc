#include "assignee_uplink.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "assignee/eukey_client_with_tls.h"
#include "core/status_macros.h"
#include "cpns/assignee/eukey_client.h"
#include "cpns/assignee/key_file.h"
#include "wire/tls_reload.h"

namespace cpns::gw_cli {
namespace {

// The assignee library names its own flags (--gateway, --cert, ...); the
// operator typed --uplink-*.
absl::Status InUplink(const absl::Status& s) {
  return absl::Status(s.code(), absl::StrCat("--uplink-*: ", s.message()));
}

gateway::UplinkInfo Shown(const assignee::EUKeyAssignment& a) {
  return {a.gw_id.value(), a.seed_epoch, a.not_after};
}

// The client and its TLS material (null for unix:: nothing to reload).
struct UplinkClient {
  std::unique_ptr<wire::ReloadableClientTls> tls;  // outlives client
  std::unique_ptr<assignee::EUKeyClient> client;
};

// The gateway's Uplink calls LoadKept and RequestAndKeep from one thread at a
// time, ReloadTls from another (EUKeyClient and ReloadableClientTls allow it).
class AssigneeUplinkSource final : public gateway::UplinkKeySource {
 public:
  AssigneeUplinkSource(UplinkClient client, Assignee self, SecretBytes pairing_code,
                       std::string key_file)
      : tls_(std::move(client.tls)), client_(std::move(client.client)), self_(std::move(self)),
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

  absl::Status ReloadTls() override {
    if (tls_ == nullptr) return absl::OkStatus();
    const absl::Status s = tls_->Reload();
    return s.ok() ? s : InUplink(s);
  }

 private:
  const std::unique_ptr<wire::ReloadableClientTls> tls_;
  const std::unique_ptr<assignee::EUKeyClient> client_;
  const Assignee self_;
  const SecretBytes pairing_code_;
  const std::string key_file_;
};

// An EUKeyClient whose TLS material (tls:) SIGHUP reloads, as the gateway's
// towards the CPNS Server.
absl::StatusOr<UplinkClient> MakeClient(const assignee::EUKeyClientOptions& options) {
  UplinkClient made;
  auto reloadable = [&made](const wire::ClientTlsOptions& tls)
      -> absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> {
    CPNS_ASSIGN_OR_RETURN(made.tls, wire::ReloadableClientTls::Create(tls));
    return made.tls->credentials();
  };
  CPNS_ASSIGN_OR_RETURN(made.client, assignee::CreateEUKeyClientWithTls(options, reloadable));
  return made;
}

absl::StatusOr<std::unique_ptr<gateway::UplinkKeySource>> MakeSource(
    const UplinkOptions& options, const GatewayId& own_id, const std::string& key_file) {
  absl::StatusOr<UserId> user = UserId::Parse(options.user_id);
  if (!user.ok()) return InUplink(user.status());
  CPNS_ASSIGN_OR_RETURN(EntityId entity, EntityId::Parse(own_id.value()));
  if (absl::StartsWith(options.gateway, "tcp:") && options.pairing_code.empty()) {
    return InUplink(absl::InvalidArgumentError(
        "a tcp: upstream gateway serves pairing by code only: give --uplink-pairing-code-file"));
  }
  absl::StatusOr<UplinkClient> client = MakeClient({.gateway = options.gateway,
                                                    .gateway_ca_file = options.gateway_ca_file,
                                                    .cert_file = options.cert_file,
                                                    .key_file = options.key_file});
  if (!client.ok()) return InUplink(client.status());
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
