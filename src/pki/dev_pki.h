// A development PKI for cpns: an operator CA, a CPNS Server certificate and
// one client certificate per gateway; optionally a device maker's CA and one
// device certificate per entity. For tests, demos and labs; production
// operators issue certificates from their own CA with the same profile
// (docs/PROTOCOL.md, "Certificates").
//
// Thread-compatible; writes only inside options.out_dir.
#ifndef CPNS_PKI_DEV_PKI_H_
#define CPNS_PKI_DEV_PKI_H_

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace cpns::pki {

struct DevPkiOptions {
  std::string out_dir;                   // created (mode 0700) when missing
  std::string server_name;               // DNS SAN of the server certificate
  std::vector<std::string> gateway_ids;  // each a valid GatewayId
  std::vector<std::string> device_ids;   // each a valid EntityId; may be empty
  int validity_days = 825;
};

// Writes into out_dir:
//   ca.crt, ca.key                 self-signed operator CA (EC P-256)
//   server.crt, server.key         SAN DNS:<server_name>, DNS:localhost,
//                                  IP:127.0.0.1, IP:::1; EKU serverAuth
//   gw-<ID>.crt, gw-<ID>.key       SAN URI:urn:cpns:gw:<ID>, DNS:localhost,
//                                  IP:127.0.0.1; EKU clientAuth, serverAuth
// and, when device_ids is not empty:
//   device-ca.crt, device-ca.key   self-signed device maker CA (not the
//                                  operator's: a gateway trusts it with
//                                  cpns-gw serve --device-ca)
//   device-<ID>.crt, device-<ID>.key  SAN URI:urn:cpns:entity:<ID>;
//                                  EKU clientAuth
// Keys are PKCS#8 PEM, mode 0600; certificates mode 0644. InvalidArgument for
// a bad gateway or entity id or an empty server name; existing files are overwritten.
absl::Status WriteDevelopmentPki(const DevPkiOptions& options);

}  // namespace cpns::pki

#endif  // CPNS_PKI_DEV_PKI_H_
