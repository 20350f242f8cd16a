#include "pki/dev_pki.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/secret_bytes.h"
#include "pki/x509_builder.h"

namespace cpns::pki {
namespace {

// An id that becomes part of a file name must stay inside out_dir.
absl::Status CheckFileNameSafe(absl::string_view field, const std::string& raw) {
  if (raw.find('/') != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat(
        field, " \"", raw, "\" contains '/', which cannot be used in a file name"));
  }
  return absl::OkStatus();
}

// Everything is checked before any key is generated or file written.
absl::StatusOr<std::vector<GatewayId>> ValidateOptions(const DevPkiOptions& options) {
  if (options.out_dir.empty()) return absl::InvalidArgumentError("out_dir is empty");
  CPNS_RETURN_IF_ERROR(ValidateIdentifier("server_name", options.server_name));
  if (options.validity_days <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("validity_days is ", options.validity_days, "; it must be positive"));
  }
  std::vector<GatewayId> ids;
  for (const std::string& raw : options.gateway_ids) {
    CPNS_ASSIGN_OR_RETURN(GatewayId id, GatewayId::Parse(raw));
    CPNS_RETURN_IF_ERROR(CheckFileNameSafe("gw_id", raw));
    ids.push_back(std::move(id));
  }
  for (const std::string& raw : options.device_ids) {
    CPNS_RETURN_IF_ERROR(EntityId::Parse(raw).status());
    CPNS_RETURN_IF_ERROR(CheckFileNameSafe("entity_id", raw));
  }
  return ids;
}

}  // namespace

absl::Status WriteDevelopmentPki(const DevPkiOptions& options) {
  CPNS_ASSIGN_OR_RETURN(std::vector<GatewayId> gateway_ids, ValidateOptions(options));
  CPNS_RETURN_IF_ERROR(EnsureDirectory(options.out_dir, 0700));
  const std::string& dir = options.out_dir;
  const int days = options.validity_days;
  CPNS_ASSIGN_OR_RETURN(KeyAndCert ca, Issue(CaProfile(options.ca_name), nullptr, days));
  CPNS_RETURN_IF_ERROR(WritePair(dir, "ca", ca));
  CPNS_ASSIGN_OR_RETURN(KeyAndCert server_kc, Issue(ServerProfile(options.server_name), &ca, days));
  CPNS_RETURN_IF_ERROR(WritePair(dir, "server", server_kc));
  for (const GatewayId& id : gateway_ids) {
    const Profile gateway = LeafProfile(absl::StrCat("cpns gateway ", id.value()),
                                        "clientAuth,serverAuth",
                                        {{GEN_URI, absl::StrCat(kGatewayUriPrefix, id.value())},
                                         {GEN_DNS, "localhost"},
                                         {GEN_IPADD, "127.0.0.1"}});
    CPNS_ASSIGN_OR_RETURN(KeyAndCert gateway_kc, Issue(gateway, &ca, days));
    CPNS_RETURN_IF_ERROR(WritePair(dir, absl::StrCat("gw-", id.value()), gateway_kc));
  }
  if (options.device_ids.empty()) return absl::OkStatus();
  // Devices come from their maker, not from the operator: their own CA.
  CPNS_ASSIGN_OR_RETURN(KeyAndCert device_ca,
                        Issue(CaProfile("cpns dev device maker CA"), nullptr, days));
  CPNS_RETURN_IF_ERROR(WritePair(dir, "device-ca", device_ca));
  for (const std::string& id : options.device_ids) {
    const Profile device = LeafProfile(absl::StrCat("cpns device ", id), "clientAuth",
                                       {{GEN_URI, absl::StrCat(kEntityUriPrefix, id)}});
    CPNS_ASSIGN_OR_RETURN(KeyAndCert device_kc, Issue(device, &device_ca, days));
    CPNS_RETURN_IF_ERROR(WritePair(dir, absl::StrCat("device-", id), device_kc));
  }
  return absl::OkStatus();
}

}  // namespace cpns::pki
