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
  // The operator CA's subject CN (a second CA, to rehearse a CA change).
  std::string ca_name = "cpns dev operator CA";
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

// For rehearsing a rotation: writes <dir>/<base>.crt and <dir>/<base>.key, a
// server certificate like server.crt (same SANs for `server_name`) for a new
// key, issued by the CA of <dir>/ca.crt and ca.key. InvalidArgument for an
// empty name or a base holding '/'.
absl::Status IssueServerCertificate(const std::string& dir, const std::string& server_name,
                                    const std::string& base, int validity_days = 825);

// For rehearsing a two-tier device PKI (maker root -> intermediate ->
// device): writes <dir>/<base>.crt and .key, an intermediate CA issued by
// the CA <dir>/<parent>.crt and .key, and for each id of `device_ids`
// <dir>/device-<ID>.crt and .key issued by it, the .crt holding the device
// certificate followed by <base>.crt (the chain a device sends; existing
// files are overwritten). InvalidArgument for a base or parent holding '/'
// or an empty device id.
absl::Status IssueIntermediateDeviceCa(const std::string& dir, const std::string& parent,
                                       const std::string& base,
                                       const std::vector<std::string>& device_ids,
                                       int validity_days = 825);

// Writes `out` (mode 0644): a PEM CRL of the CA <dir>/<ca>.crt, signed with
// <dir>/<ca>.key, with its authorityKeyIdentifier, revoking the certificates in the PEM files `revoked` (none:
// an empty CRL). It is valid for `next_update_days` from now; a negative
// value makes a CRL already past its nextUpdate (to rehearse a stale one).
absl::Status WriteDevelopmentCrl(const std::string& dir, const std::string& ca,
                                 const std::vector<std::string>& revoked, const std::string& out,
                                 int next_update_days = 30);

}  // namespace cpns::pki

#endif  // CPNS_PKI_DEV_PKI_H_
