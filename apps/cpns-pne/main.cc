// cpns-pne: the assignee client (a PNE, or a PN GW acting as assignee).
//   cpns-pne request --gateway unix:PATH|tls:HOST:PORT|tcp:HOST:PORT --entity-type PNE --entity-id ID
//                    --user-id ID [--pairing-code-file F | --pairing-code CODE]
//                    [--gateway-ca F --cert F --key F]
//                    [--json] [--save FILE]
//   cpns-pne authenticate --key-file FILE (--server HOST:PORT --server-ca F | --gateway unix:PATH)
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/time/time.h"
#include "common/cli.h"
#include "common/process.h"
#include "cpns/assignee/auth_client.h"
#include "cpns/assignee/eukey_client.h"
#include "cpns/assignee/key_file.h"
#include "cpns/core/hex.h"

namespace {

constexpr const char* kProgram = "cpns-pne";

struct Flags {
  cpns::assignee::EUKeyClientOptions client;
  std::string entity_type, entity_id, user_id;
  std::string timeout = "10s";
  bool json = false;
  bool show_key = false;
  std::string save;      // request --save FILE
  std::string pairing_code;
  std::string pairing_code_file;
  std::string key_file;  // authenticate --key-file FILE
  cpns::assignee::AuthClientOptions auth;
  std::string auth_gateway;
};

absl::StatusOr<cpns::Assignee> ParseAssignee(const Flags& f) {
  auto type = cpns::ParseEntityType(f.entity_type);
  if (!type.ok()) return type.status();
  auto entity = cpns::EntityId::Parse(f.entity_id);
  if (!entity.ok()) return entity.status();
  auto user = cpns::UserId::Parse(f.user_id);
  if (!user.ok()) return user.status();
  return cpns::Assignee{*type, *entity, *user};
}

// The pairing code, from --pairing-code-file or --pairing-code; empty if none.
absl::StatusOr<cpns::SecretBytes> PairingCode(const Flags& f) {
  if (f.pairing_code_file.empty()) return cpns::SecretBytes::CopyFrom(f.pairing_code);
  return cpns::cli::ReadSecretFlagFile("--pairing-code-file", f.pairing_code_file);
}

void Print(const cpns::assignee::EUKeyAssignment& a, const Flags& f) {
  const std::string until =
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(a.not_after),
                       absl::UTCTimeZone());
  if (f.json) {
    nlohmann::json out = {{"gw_id", a.gw_id.value()},
                          {"seed_epoch", a.seed_epoch},
                          {"entity_type", cpns::EntityTypeName(a.assignee.entity_type)},
                          {"entity_id", a.assignee.entity_id.value()},
                          {"user_id", a.assignee.user_id.value()},
                          {"not_after", a.not_after},
                          {"second_seed", cpns::HexEncode(a.second_seed.RevealSecret())},
                          {"eukey", cpns::HexEncode(a.eukey.RevealSecret())}};
    std::cout << out.dump(2) << "\n";
    return;
  }
  std::cout << "EUKey assigned by gateway " << a.gw_id.value() << " (seed epoch " << a.seed_epoch
            << ") to " << cpns::EntityTypeName(a.assignee.entity_type) << " "
            << a.assignee.entity_id.value() << " of user " << a.assignee.user_id.value() << "\n"
            << "valid until " << until << " (not_after " << a.not_after << ")\n";
  if (f.show_key) {
    std::cout << "second_seed " << cpns::HexEncode(a.second_seed.RevealSecret()) << "\n"
              << "eukey       " << cpns::HexEncode(a.eukey.RevealSecret()) << "\n";
  } else {
    std::cout << "2nd seed and EUKey received (32 bytes each); --show-key or --json prints them\n";
  }
}

int Request(const Flags& f) {
  auto assignee = ParseAssignee(f);
  if (!assignee.ok()) return cpns::cli::Fail(kProgram, assignee.status());
  auto timeout = cpns::cli::ParseDuration("--timeout", f.timeout);
  if (!timeout.ok()) return cpns::cli::Fail(kProgram, timeout.status());
  auto code = PairingCode(f);
  if (!code.ok()) return cpns::cli::Fail(kProgram, code.status());
  auto client = cpns::assignee::EUKeyClient::Create(f.client);
  if (!client.ok()) return cpns::cli::Fail(kProgram, client.status());
  auto assignment = (*client)->Request(*assignee, *timeout, *code);
  if (!assignment.ok()) return cpns::cli::Fail(kProgram, assignment.status());
  if (!f.save.empty()) {
    if (absl::Status s = cpns::assignee::SaveAssignment(f.save, *assignment); !s.ok()) {
      return cpns::cli::Fail(kProgram, s);
    }
  }
  Print(*assignment, f);
  return 0;
}

int Authenticate(Flags f) {
  auto assignment = cpns::assignee::LoadAssignment(f.key_file);
  if (!assignment.ok()) return cpns::cli::Fail(kProgram, assignment.status());
  const bool direct = !f.auth.target.empty();
  if (direct == !f.auth_gateway.empty()) {
    return cpns::cli::Fail(kProgram, absl::InvalidArgumentError(
        "give either --server HOST:PORT (with --server-ca) or --gateway unix:PATH|tls:HOST:PORT"));
  }
  if (!direct) {
    f.auth.target = f.auth_gateway;
    f.auth.ca_file = f.client.gateway_ca_file;
    f.auth.tls_name = f.client.gateway_name;
  }
  auto timeout = cpns::cli::ParseDuration("--timeout", f.timeout);
  if (!timeout.ok()) return cpns::cli::Fail(kProgram, timeout.status());
  auto client = cpns::assignee::AuthClient::Create(f.auth);
  if (!client.ok()) return cpns::cli::Fail(kProgram, client.status());
  if (absl::Status s = (*client)->Authenticate(*assignment, *timeout); !s.ok()) {
    return cpns::cli::Fail(kProgram, s);
  }
  std::cout << "authenticated: the CPNS Server accepted the proof for "
            << assignment->assignee.entity_id.value() << " of user "
            << assignment->assignee.user_id.value() << " (gateway " << assignment->gw_id.value()
            << ", seed epoch " << assignment->seed_epoch << ", "
            << (direct ? "direct" : "relayed by the gateway") << ")\n";
  return 0;
}

cpns::cli::Subcommand RequestCommand(CLI::App& app, Flags& f) {
  CLI::App* request = app.add_subcommand("request", "Send an EUKey Assignment Request");
  request
      ->add_option("--gateway", f.client.gateway,
                   "unix:PATH, tls:HOST:PORT, or tcp:HOST:PORT (plain TCP, for pairing by code: "
                   "no CA or certificate needed)")
      ->required();
  request->add_option("--gateway-ca", f.client.gateway_ca_file, "CA of the gateway (tls: only)");
  request->add_option("--gateway-name", f.client.gateway_name,
                      "TLS name to expect in the gateway certificate");
  request->add_option("--cert", f.client.cert_file,
                      "This device's certificate, for a gateway that admits by certificate "
                      "(tls: only)");
  request->add_option("--key", f.client.key_file, "The device certificate's private key");
  request->add_option("--entity-type", f.entity_type, "PNE or PNGW")->required();
  request->add_option("--entity-id", f.entity_id, "This entity's id")->required();
  request->add_option("--user-id", f.user_id, "The user the key is for")->required();
  request->add_option("--timeout", f.timeout, "Deadline for the whole request")
      ->capture_default_str()
      ->check(cpns::cli::Duration("--timeout"));
  request->add_flag("--json", f.json, "Print the assignment as JSON, key material included");
  request->add_flag("--show-key", f.show_key, "Print the 2nd seed and the EUKey (hex)");
  request->add_option("--save", f.save, "Keep the assignment in FILE (mode 0600) for authenticate");
  CLI::Option* code_file = request->add_option(
      "--pairing-code-file", f.pairing_code_file,
      "File holding the one-time code the gateway's owner made for this entity and user "
      "(yours alone: mode 0600 or 0400); the code never leaves this device: the request runs "
      "the pairing exchange (SPAKE2+)");
  request
      ->add_option("--pairing-code", f.pairing_code,
                   "The code itself; visible to every user of this machine (ps) while the "
                   "request runs: prefer --pairing-code-file")
      ->excludes(code_file);
  return {request, [&f] { return Request(f); }};
}

cpns::cli::Subcommand AuthenticateCommand(CLI::App& app, Flags& f) {
  CLI::App* auth = app.add_subcommand(
      "authenticate", "Prove to the CPNS Server that this entity holds its EUKey");
  auth->add_option("--key-file", f.key_file, "An assignment saved by request --save")->required();
  auth->add_option("--server", f.auth.target, "CPNS Server HOST:PORT (direct)");
  auth->add_option("--server-ca", f.auth.ca_file, "CA of the CPNS Server certificate");
  auth->add_option("--server-name", f.auth.tls_name, "TLS name of the CPNS Server");
  auth->add_option("--gateway", f.auth_gateway,
                   "Relay through the gateway: unix:PATH or tls:HOST:PORT");
  auth->add_option("--gateway-ca", f.client.gateway_ca_file, "CA of the gateway (tls: only)");
  auth->add_option("--gateway-name", f.client.gateway_name, "TLS name of the gateway");
  auth->add_option("--timeout", f.timeout, "Deadline for the whole exchange")
      ->capture_default_str()
      ->check(cpns::cli::Duration("--timeout"));
  return {auth, [&f] { return Authenticate(f); }};
}

}  // namespace

int main(int argc, char** argv) {
  // Key files, pairing codes and EUKeys pass through this process: no core dump.
  if (absl::Status s = cpns::HardenProcess(); !s.ok()) return cpns::cli::Fail(kProgram, s);
  Flags f;
  CLI::App app{"cpns-pne: asks an Intermediate PN GW for an EUKey.", kProgram};
  cpns::cli::LogFlags log;
  cpns::cli::SetUp(app, log);
  const cpns::cli::Subcommands commands = {RequestCommand(app, f), AuthenticateCommand(app, f)};
  return cpns::cli::ParseAndRun(app, argc, argv, commands, [&log] {
    return cpns::InitLogging(kProgram, log.level, log.format);
  });
}
