// The uplink key source of cpns-gw over the assignee library: the gateway
// role (src/gateway/uplink.h) decides when to ask; this asks the upstream
// gateway with EUKeyClient, as entity type PNGW with entity id = the
// gateway's own id, and keeps the key in the assignee key-file format
// (cpns/assignee/key_file.h), so `cpns-pne authenticate --key-file` can
// present it. Its TLS material towards the upstream gateway reloads on
// SIGHUP (UplinkKeySource::ReloadTls), as the gateway's towards the server.
// The program links both roles; the roles do not link each other.
#ifndef CPNS_APPS_CPNS_GW_ASSIGNEE_UPLINK_H_
#define CPNS_APPS_CPNS_GW_ASSIGNEE_UPLINK_H_

#include <string>

#include "cpns/core/secret_bytes.h"
#include "gateway/uplink.h"

namespace cpns::gw_cli {

// The --uplink-* flags.
struct UplinkOptions {
  std::string gateway;          // unix:PATH or tls:HOST:PORT of the upstream gateway; empty: none
  std::string gateway_ca_file;  // for tls:
  std::string user_id;          // the user the uplink key is for
  SecretBytes pairing_code;     // when the upstream gateway admits by pairing code
  // A device certificate (SAN urn:cpns:entity:<own gw_id>) and its key, when
  // the upstream gateway admits by certificate; tls: only.
  std::string cert_file;
  std::string key_file;
};

// The factory to put in GatewayOptions::uplink; empty when `options.gateway`
// is (no uplink). Its errors name the --uplink-* flags.
gateway::UplinkKeySourceFactory AssigneeUplink(UplinkOptions options);

}  // namespace cpns::gw_cli

#endif  // CPNS_APPS_CPNS_GW_ASSIGNEE_UPLINK_H_
