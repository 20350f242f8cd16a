// cpns-keytool: offline derivation (integrators, test vectors) and a
// development PKI.
//   cpns-keytool derive (--first-seed-file F | --first-seed HEX) --gw-id ID --epoch N
//                       --entity-type PNE|PNGW --entity-id ID --user-id ID --nonce HEX --not-after UNIX
//   cpns-keytool pki init --out DIR --server-name NAME --gateway ID [--gateway ID ...]
//                         [--device ENTITY_ID ...]
//   cpns-keytool pki server --dir DIR --server-name NAME --out-base BASE
//   cpns-keytool pki crl --dir DIR [--ca BASE] [--revoke CERT ...] --out FILE
#include <iostream>
#include <nlohmann/json.hpp>

#include "absl/strings/str_cat.h"
#include "common/cli.h"
#include "common/process.h"
#include "core/status_macros.h"
#include "cpns/core/hex.h"
#include "cpns/core/kdf.h"
#include "pki/dev_pki.h"

namespace {

constexpr const char* kProgram = "cpns-keytool";

struct DeriveFlags {
  std::string first_seed, first_seed_file, gw_id, entity_type, entity_id, user_id, nonce;
  std::string challenge, client_nonce;  // optional: also compute the proof
  uint32_t epoch = 0;
  int64_t not_after = 0;
};

absl::StatusOr<cpns::SecretBytes> FirstSeedHex(const DeriveFlags& f) {
  if (!f.first_seed_file.empty()) {
    CPNS_ASSIGN_OR_RETURN(cpns::SecretBytes hex,
                          cpns::cli::ReadSecretFlagFile("--first-seed-file", f.first_seed_file));
    return cpns::HexDecodeSecret("--first-seed-file", hex.RevealSecret());
  }
  if (f.first_seed.empty()) {
    return absl::InvalidArgumentError("give the 1st seed: --first-seed-file F or --first-seed HEX");
  }
  return cpns::HexDecodeSecret("--first-seed", f.first_seed);
}

// The 1st seed, from --first-seed-file or --first-seed: 32 bytes.
absl::StatusOr<cpns::SecretBytes> FirstSeed(const DeriveFlags& f) {
  CPNS_ASSIGN_OR_RETURN(cpns::SecretBytes first, FirstSeedHex(f));
  if (first.size() != cpns::kFirstSeedSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("--first-seed is ", first.size(), " bytes; it must be 32"));
  }
  return first;
}

// --nonce: 16 bytes.
absl::StatusOr<std::string> Nonce(const DeriveFlags& f) {
  CPNS_ASSIGN_OR_RETURN(std::string nonce, cpns::HexDecode("--nonce", f.nonce));
  if (nonce.size() != cpns::kNonceSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("--nonce is ", nonce.size(), " bytes; it must be 16"));
  }
  return nonce;
}

absl::StatusOr<nlohmann::json> Derive(const DeriveFlags& f) {
  CPNS_ASSIGN_OR_RETURN(cpns::SecretBytes first, FirstSeed(f));
  CPNS_ASSIGN_OR_RETURN(std::string nonce, Nonce(f));
  if (f.epoch == 0) return absl::InvalidArgumentError("--epoch must be at least 1");
  CPNS_ASSIGN_OR_RETURN(cpns::GatewayId gw, cpns::GatewayId::Parse(f.gw_id));
  CPNS_ASSIGN_OR_RETURN(cpns::EntityType type, cpns::ParseEntityType(f.entity_type));
  CPNS_ASSIGN_OR_RETURN(cpns::EntityId entity, cpns::EntityId::Parse(f.entity_id));
  CPNS_ASSIGN_OR_RETURN(cpns::UserId user, cpns::UserId::Parse(f.user_id));
  const cpns::Assignee assignee{type, entity, user};
  CPNS_ASSIGN_OR_RETURN(cpns::SecretBytes second,
                        cpns::DeriveSecondSeed(first, gw, assignee, nonce));
  CPNS_ASSIGN_OR_RETURN(cpns::SecretBytes eukey,
                        cpns::DeriveEUKey(first, second, {gw, f.epoch, assignee, f.not_after}));
  nlohmann::json out{{"gw_id", gw.value()},
                        {"seed_epoch", f.epoch},
                        {"entity_type", cpns::EntityTypeName(type)},
                        {"entity_id", entity.value()},
                        {"user_id", user.value()},
                        {"not_after", f.not_after},
                        {"second_seed", cpns::HexEncode(second.RevealSecret())},
                        {"eukey", cpns::HexEncode(eukey.RevealSecret())},
                        {"second_seed_fingerprint",
                         cpns::HexEncode(cpns::SecondSeedFingerprint(second))}};
  if (!f.challenge.empty() || !f.client_nonce.empty()) {
    CPNS_ASSIGN_OR_RETURN(std::string challenge, cpns::HexDecode("--challenge", f.challenge));
    CPNS_ASSIGN_OR_RETURN(std::string client_nonce,
                          cpns::HexDecode("--client-nonce", f.client_nonce));
    CPNS_ASSIGN_OR_RETURN(cpns::SecretBytes proof,
                          cpns::DeriveAuthProof(eukey, {gw, f.epoch, assignee, f.not_after},
                                                second, challenge, client_nonce));
    out["proof"] = cpns::HexEncode(proof.RevealSecret());
  }
  return out;
}

int PrintDerived(const DeriveFlags& d) {
  absl::StatusOr<nlohmann::json> out = Derive(d);
  if (!out.ok()) return cpns::cli::Fail(kProgram, out.status());
  std::cout << out->dump(2) << "\n";
  return 0;
}

int WritePki(const cpns::pki::DevPkiOptions& pki) {
  if (absl::Status s = cpns::pki::WriteDevelopmentPki(pki); !s.ok()) {
    return cpns::cli::Fail(kProgram, s);
  }
  std::cout << "development PKI written to " << pki.out_dir << "\n";
  return 0;
}

// What `pki server` and `pki crl` are given.
struct PkiMoreFlags {
  std::string dir, server_name, out_base, ca = "ca", out;
  std::vector<std::string> revoke;
  int days = 30;
};

int Done(const absl::Status& s, const std::string& what) {
  if (!s.ok()) return cpns::cli::Fail(kProgram, s);
  std::cout << what << " written\n";
  return 0;
}

cpns::cli::Subcommand DeriveCommand(CLI::App& app, DeriveFlags& d) {
  CLI::App* derive = app.add_subcommand(
      "derive", "Derive the 2nd seed and the EUKey from explicit inputs; prints JSON (secrets!)");
  CLI::Option* seed_file =
      derive->add_option("--first-seed-file", d.first_seed_file,
                         "File holding the 1st seed, 64 hex digits (yours alone: mode 0600)");
  derive->add_option("--first-seed", d.first_seed,
                     "1st seed, 64 hex digits; visible to every user of this machine (ps): "
                     "prefer --first-seed-file")
      ->excludes(seed_file);
  derive->add_option("--gw-id", d.gw_id, "Gateway id")->required();
  derive->add_option("--epoch", d.epoch, "seed_epoch (>= 1)")->required();
  derive->add_option("--entity-type", d.entity_type, "PNE or PNGW")->required();
  derive->add_option("--entity-id", d.entity_id, "Entity id")->required();
  derive->add_option("--user-id", d.user_id, "User id")->required();
  derive->add_option("--nonce", d.nonce, "Nonce, 32 hex digits")->required();
  derive->add_option("--not-after", d.not_after, "not_after, Unix seconds")->required();
  derive->add_option("--challenge", d.challenge, "Also compute the auth proof: challenge (hex)");
  derive->add_option("--client-nonce", d.client_nonce, "... and client nonce (hex)");
  return {derive, [&d] { return PrintDerived(d); }};
}

cpns::cli::Subcommand PkiServerCommand(CLI::App& pki_cmd, PkiMoreFlags& f) {
  CLI::App* server = pki_cmd.add_subcommand(
      "server", "Issue another server certificate from DIR/ca.crt (to rehearse a rotation)");
  server->add_option("--dir", f.dir, "Directory of a development PKI")->required();
  server->add_option("--server-name", f.server_name, "DNS name of the CPNS Server")->required();
  server->add_option("--out-base", f.out_base, "Writes DIR/BASE.crt and DIR/BASE.key")
      ->required();
  return {server, [&f] {
            return Done(cpns::pki::IssueServerCertificate(f.dir, f.server_name, f.out_base),
                        f.dir + "/" + f.out_base + ".crt and .key");
          }};
}

cpns::cli::Subcommand PkiCrlCommand(CLI::App& pki_cmd, PkiMoreFlags& f) {
  CLI::App* crl = pki_cmd.add_subcommand("crl", "Write a CRL of a development CA");
  crl->add_option("--dir", f.dir, "Directory of a development PKI")->required();
  crl->add_option("--ca", f.ca, "The CA: DIR/BASE.crt and DIR/BASE.key (ca or device-ca)")
      ->capture_default_str();
  crl->add_option("--revoke", f.revoke, "Certificate file to revoke (repeatable)");
  crl->add_option("--days", f.days, "Days until nextUpdate (negative: already stale)")
      ->capture_default_str();
  crl->add_option("--out", f.out, "The CRL file (PEM)")->required();
  return {crl, [&f] {
            return Done(cpns::pki::WriteDevelopmentCrl(f.dir, f.ca, f.revoke, f.out, f.days),
                        f.out);
          }};
}

CLI::App& PkiCommand(CLI::App& app) {
  CLI::App* pki_cmd = app.add_subcommand("pki", "Development PKI");
  pki_cmd->require_subcommand(1);
  return *pki_cmd;
}

cpns::cli::Subcommand PkiInitCommand(CLI::App& pki_cmd_ref, cpns::pki::DevPkiOptions& pki) {
  CLI::App* pki_cmd = &pki_cmd_ref;
  CLI::App* init =
      pki_cmd->add_subcommand("init", "Create a CA, a server and gateway certificates");
  init->add_option("--out", pki.out_dir, "Output directory")->required();
  init->add_option("--server-name", pki.server_name, "DNS name of the CPNS Server")->required();
  init->add_option("--gateway", pki.gateway_ids, "Gateway id (repeatable)")->required();
  init->add_option("--device", pki.device_ids,
                   "Entity id of a device certificate, from a separate device maker CA "
                   "(repeatable)");
  init->add_option("--days", pki.validity_days, "Validity in days")->capture_default_str();
  init->add_option("--ca-name", pki.ca_name, "Subject CN of the operator CA")
      ->capture_default_str();
  return {init, [&pki] { return WritePki(pki); }};
}

}  // namespace

int main(int argc, char** argv) {
  // Seeds and the keys of the development PKI pass through this process.
  if (absl::Status s = cpns::HardenProcess(); !s.ok()) return cpns::cli::Fail(kProgram, s);
  DeriveFlags d;
  cpns::pki::DevPkiOptions pki;
  CLI::App app{"cpns-keytool: offline CPNS key derivation and a development PKI.", kProgram};
  cpns::cli::LogFlags log;
  cpns::cli::SetUp(app, log);
  PkiMoreFlags more;
  CLI::App& pki_cmd = PkiCommand(app);
  const cpns::cli::Subcommands commands = {DeriveCommand(app, d), PkiInitCommand(pki_cmd, pki),
                                           PkiServerCommand(pki_cmd, more),
                                           PkiCrlCommand(pki_cmd, more)};
  return cpns::cli::ParseAndRun(app, argc, argv, commands, [&log] {
    return cpns::InitLogging(kProgram, log.level, log.format);
  });
}
