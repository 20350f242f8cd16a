// A device asks its gateway for an EUKey and proves to the CPNS Server, through
// the same gateway, that it holds it. Only the installed public API is used:
// include/cpns/ and libcpns (docs/LIBRARY.md).
//
//   request_and_authenticate GATEWAY ENTITY_ID USER_ID
//
// GATEWAY is unix:PATH (a tls:HOST:PORT gateway needs the CA options of
// EUKeyClientOptions and AuthClientOptions, which this example leaves out).
// Prints the key's fingerprint, never the key, and exits 0 once the server
// accepted the proof; 1 with the failing step and its status otherwise.
#include <cstdio>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cpns/assignee/auth_client.h"
#include "cpns/assignee/eukey_client.h"
#include "cpns/core/hex.h"
#include "cpns/core/identifiers.h"
#include "cpns/core/kdf.h"
#include "cpns/core/secret_bytes.h"

namespace {

constexpr absl::Duration kTimeout = absl::Seconds(15);

absl::StatusOr<cpns::Assignee> Device(const char* entity_id, const char* user_id) {
  absl::StatusOr<cpns::EntityId> entity = cpns::EntityId::Parse(entity_id);
  if (!entity.ok()) return entity.status();
  absl::StatusOr<cpns::UserId> user = cpns::UserId::Parse(user_id);
  if (!user.ok()) return user.status();
  return cpns::Assignee{cpns::EntityType::kPne, *entity, *user};
}

// Steps 1 and 7 of the flow: the gateway assigns the EUKey.
absl::StatusOr<cpns::assignee::EUKeyAssignment> RequestKey(const std::string& gateway,
                                                           const cpns::Assignee& device) {
  auto client = cpns::assignee::EUKeyClient::Create({.gateway = gateway});
  if (!client.ok()) return client.status();
  // This example's gateway admits devices without a pairing code.
  return (*client)->Request(device, kTimeout, cpns::SecretBytes());
}

// Challenge and proof, relayed by the gateway to the CPNS Server.
absl::Status Authenticate(const std::string& gateway,
                          const cpns::assignee::EUKeyAssignment& assignment) {
  auto client = cpns::assignee::AuthClient::Create({.target = gateway});
  if (!client.ok()) return client.status();
  return (*client)->Authenticate(assignment, kTimeout);
}

int Fail(const char* step, const absl::Status& status) {
  std::fprintf(stderr, "%s: %s\n", step, status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s GATEWAY ENTITY_ID USER_ID\n", argv[0]);
    return 2;
  }
  const std::string gateway = argv[1];
  absl::StatusOr<cpns::Assignee> device = Device(argv[2], argv[3]);
  if (!device.ok()) return Fail("device", device.status());

  absl::StatusOr<cpns::assignee::EUKeyAssignment> assignment = RequestKey(gateway, *device);
  if (!assignment.ok()) return Fail("request", assignment.status());
  std::printf("EUKey of %zu bytes from gateway %s, seed epoch %u, fingerprint %s\n",
              assignment->eukey.size(), assignment->gw_id.value().c_str(),
              static_cast<unsigned>(assignment->seed_epoch),
              cpns::HexEncode(cpns::SecondSeedFingerprint(assignment->second_seed)).c_str());

  if (absl::Status auth = Authenticate(gateway, *assignment); !auth.ok()) {
    return Fail("authenticate", auth);
  }
  std::printf("authenticated\n");
  return 0;
}
