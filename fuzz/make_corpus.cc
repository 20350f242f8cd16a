// Writes the seed corpus of every harness (fuzz/corpus/<harness>/) from the
// production code that makes these bytes: serialized requests and responses,
// a saved seed file (plain, sealed, version 1), a saved key file, a KEK file,
// an issued challenge and a sealed seed under the fixture keys.
//
//   build-fuzz/fuzz/fuzz_make_corpus fuzz/corpus
//
// Secrets in the corpus are fixed test bytes, never real keys.
#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <string>

#include "core/fake_clock.h"
#include "cpns/assignee/key_file.h"
#include "cpns/core/hex.h"
#include "cpns/v1/cpns.pb.h"
#include "fixtures.h"
#include "gateway/seed_file.h"
#include "server/challenge.h"
#include "storage/sealed_seed.h"
#include "wire/messages.h"

namespace {

using cpns::SecretBytes;
using std::string;

string root;

void Put(const string& harness, const string& name, const string& bytes) {
  ::mkdir((root + "/" + harness).c_str(), 0755);
  std::ofstream(root + "/" + harness + "/" + name, std::ios::binary) << bytes;
}

string Copy(const string& harness, const string& name, const string& from) {
  std::ifstream in(from, std::ios::binary);
  string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::remove(from.c_str());
  Put(harness, name, bytes);
  return bytes;
}

template <typename T>
string Framed(char selector, const T& message) {
  return string(1, selector) + message.SerializeAsString();
}

cpns::GatewayId Gw() { return *cpns::GatewayId::Parse(cpns::fuzz::kGatewayId); }

void Messages() {
  const cpns::Assignee a{cpns::EntityType::kPne, *cpns::EntityId::Parse("pne-1"),
                         *cpns::UserId::Parse("alice")};
  cpns::v1::EUKeyAssignmentRequest request = cpns::wire::MakeAssignmentRequest(a);
  Put("messages", "eukey_request", Framed(0, request));
  // What a cpns 0.1 device sent: the code in the retired field 4.
  Put("messages", "eukey_request_paired", Framed(0, request) + "\x22\x0b" "ABCDE-12345");
  cpns::v1::AuthenticateRequest auth;
  auth.set_challenge(string(41, '\x01'));
  auth.set_client_nonce(string(16, '\x02'));
  auth.set_gw_id("gw-1");
  auth.set_seed_epoch(1);
  auth.set_entity_type(cpns::v1::ENTITY_TYPE_PNE);
  auth.set_entity_id("pne-1");
  auth.set_user_id("alice");
  auth.set_second_seed(string(32, '\x03'));
  auth.set_not_after(cpns::fuzz::kNowUnixSeconds);
  auth.set_proof(string(32, '\x04'));
  Put("messages", "authenticate_request", Framed(1, auth));
  cpns::v1::FirstSeedRequest first;
  first.set_gw_id("gw-1");
  first.set_renew_epoch(1);
  Put("messages", "first_seed_request", Framed(2, first));
  cpns::v1::FirstSeedResponse seed;
  seed.set_gw_id("gw-1");
  seed.set_first_seed(string(32, '\x05'));
  seed.set_seed_epoch(2);
  seed.set_created_at(cpns::fuzz::kNowUnixSeconds);
  seed.set_expires_at(cpns::fuzz::kNowUnixSeconds + 86400);
  Put("messages", "first_seed_response", Framed(3, seed));
  cpns::v1::EUKeyAssignmentResponse eukey;
  eukey.set_second_seed(string(32, '\x06'));
  eukey.set_eukey(string(32, '\x07'));
  eukey.set_gw_id("gw-1");
  eukey.set_seed_epoch(2);
  eukey.set_not_after(cpns::fuzz::kNowUnixSeconds);
  Put("messages", "eukey_response", Framed(4, eukey));
}

void Texts() {
  Put("identifiers", "gw_id", "gw-1");
  Put("identifiers", "urn", "urn:cpns:gw:home-1");
  Put("identifiers", "type_pne", "PNE");
  Put("identifiers", "type_pngw", "PNGW");
  Put("identifiers", "longest", string(255, 'x'));
  Put("pairing_code", "shown", "ABCDE-12345");
  Put("pairing_code", "typed", "abcde 12345");
  Put("pairing_code", "misread", "0OIL1-XYZ89");
  // A share (the generator of P-256, a valid point), a confirmation and a
  // sealed assignment's worth of bytes.
  Put("pake", "generator",
      *cpns::HexDecode("P", "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
                            "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5") +
          string(32, '\x01') + string(60, '\x02'));
  Put("pake", "not_a_point", string(1, '\x04') + string(64, '\x07') + string(32, '\x01'));
  Put("duration", "seconds", "90s");
  Put("duration", "hours", "720h");
  Put("duration", "days", "30d");
  Put("duration", "mixed", "1h30m");
  Put("endpoint", "unix", "unix:/run/cpns/gw.sock");
  Put("endpoint", "tls", "tls:cpns.example:8443");
  Put("endpoint", "host_port", "localhost:0");
  Put("endpoint", "ipv6", "[::1]:443");
  Put("config_file", "serve.toml",
      "[serve]\ngw-id = \"gw-1\"\nserver = \"cpns.example:8443\"\n"
      "pn-listen = [\"unix:/run/cpns/gw.sock\", \"tls:0.0.0.0:8443\"]\n"
      "key-lifetime = \"30d\"\nrefresh-at = 0.8\nrate-limit-per-peer = 60\nlog-level = \"debug\"\n");
  Put("config_file", "serve.ini",
      "[serve]\ngw-id=gw-1\nserver=cpns.example:8443\npn-listen=unix:/tmp/gw.sock\n"
      "allow-user=alice\nallow-user=bob\nuplink-gateway=unix:/up.sock\nuplink-user-id=gw\n");
  Put("config_file", "pair.toml", "pair.entity-id = \"pne-1\"\npair.json = true\n");
}

void Files() {
  const SecretBytes seal_key = SecretBytes::CopyFrom(string(32, cpns::fuzz::kSealKeyByte));
  cpns::gateway::FirstSeed seed{Gw(), 3, SecretBytes::CopyFrom(string(32, '\x11')),
                                absl::FromUnixSeconds(cpns::fuzz::kNowUnixSeconds),
                                absl::FromUnixSeconds(cpns::fuzz::kNowUnixSeconds + 86400)};
  const string tmp = root + "/.tmp";
  (void)cpns::gateway::SaveSeedFile(tmp, seed);
  Copy("seed_file", "plain", tmp);
  (void)cpns::gateway::SaveSeedFile(tmp, seed, &seal_key);
  Copy("seed_file", "sealed", tmp);
  Put("seed_file", "version1",
      "cpns-gateway-first-seed 1\ngw_id gw-fuzz\nseed_epoch 1\nfirst_seed " + string(64, 'a') +
          "\n");
  const cpns::assignee::EUKeyAssignment assignment{
      *cpns::GatewayId::Parse("gw-1"), 2,
      cpns::Assignee{cpns::EntityType::kPnGw, *cpns::EntityId::Parse("gw-2"),
                     *cpns::UserId::Parse("alice")},
      cpns::fuzz::kNowUnixSeconds, SecretBytes::CopyFrom(string(32, '\x22')),
      SecretBytes::CopyFrom(string(32, '\x23'))};
  (void)cpns::assignee::SaveAssignment(tmp, assignment);
  Copy("key_file", "assignment", tmp);
  const auto kek = cpns::storage::Kek::FromHex("kek", cpns::fuzz::kKekHex);
  (void)kek->WriteNewFile(tmp);
  Copy("kek_file", "file", tmp);
  Put("kek_file", "env", string(cpns::fuzz::kKekHex));
}

void Crypto() {
  const cpns::FakeClock clock(absl::FromUnixSeconds(cpns::fuzz::kNowUnixSeconds));
  const cpns::server::ChallengeCodec codec(
      SecretBytes::CopyFrom(string(32, cpns::fuzz::kChallengeKeyByte)), clock, absl::Minutes(5));
  Put("challenge", "issued", codec.Issue()->bytes);
  Put("challenge", "other_key", string(1, '\x01') + string(40, '\x5a'));
  std::vector<cpns::storage::Kek> keks;
  keks.push_back(*cpns::storage::Kek::FromHex("kek", cpns::fuzz::kKekHex));
  const auto keys = cpns::storage::KeyRing::Create(std::move(keks));
  const auto made = cpns::storage::MakeSealedSeed(&*keys, Gw(), 7);
  Put("sealed_seed", "row", string("\x05\x01", 2) + string(cpns::fuzz::kGatewayId) + "\n7\n" +
                                made->kek_id + "\n" + made->sealed);
  Put("sealed_seed", "unknown_kek", string("\x00\x00", 2) + "gw-1\n1\n0123456789abcdef\n" +
                                        string(44, '\x09'));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: fuzz_make_corpus DIR\n");
    return 2;
  }
  root = argv[1];
  ::mkdir(root.c_str(), 0755);
  Messages();
  Texts();
  Files();
  Crypto();
  return 0;
}
