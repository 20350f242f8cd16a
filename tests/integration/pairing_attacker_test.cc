// What an attacker gets from pairing by code, with the real programs: an
// onlooker who records every byte of a pairing, a man in the middle who
// changes one message, and a thief who copies gateway.db.
#include <gmock/gmock.h>
#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sqlite3.h>
#include <unistd.h>

#include <cctype>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "core/digest.h"
#include "core/pairing.h"
#include "core/pairing_code.h"
#include "cpns/assignee/key_file.h"
#include "cpns/core/hex.h"
#include "pairing_fixture.h"
#include "pairing_proxies.h"

namespace cpns::test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string Upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

// The forms in which a code, or a fast function of it, could leak: as
// shown and in its canonical form, either case; SHA-256 of the canonical
// form, bare and with the label of the previous gateway.db format; PBKDF2
// of it with no salt (1 and the default iterations).
std::vector<std::pair<std::string, std::string>> CodeForms(const std::string& formatted) {
  const std::string canonical = formatted.substr(0, 5) + formatted.substr(6);
  std::vector<std::pair<std::string, std::string>> forms = {
      {"code", formatted}, {"code (lower case)", Lower(formatted)},
      {"canonical code", canonical}, {"canonical code (lower case)", Lower(canonical)}};
  unsigned char sha[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(canonical.data()), canonical.size(), sha);
  forms.push_back({"SHA-256(code)", std::string(reinterpret_cast<char*>(sha), sizeof(sha))});
  forms.push_back({"SHA-256(CPNS-pairing-code || code)",
                   LabeledSha256("CPNS-pairing-code", canonical)});
  for (int iterations : {1, static_cast<int>(pairing::kDefaultIterations)}) {
    unsigned char out[32];
    EXPECT_EQ(PKCS5_PBKDF2_HMAC(canonical.data(), static_cast<int>(canonical.size()), nullptr, 0,
                                iterations, EVP_sha256(), sizeof(out), out),
              1);
    forms.push_back({absl::StrCat("PBKDF2(code, no salt, ", iterations, ")"),
                     std::string(reinterpret_cast<char*>(out), sizeof(out))});
  }
  return forms;
}

// `secret` appears in `haystack` neither raw nor in hex (either case).
void ExpectAbsent(const std::string& haystack, const std::string& secret,
                  const std::string& what) {
  ASSERT_FALSE(secret.empty()) << what;
  EXPECT_EQ(haystack.find(secret), std::string::npos) << what << " found raw";
  const std::string hex = HexEncode(secret);
  for (const std::string& h : {Lower(hex), Upper(hex)}) {
    EXPECT_EQ(haystack.find(h), std::string::npos) << what << " found in hex";
  }
}

TEST_F(PairingTest, AnOnlookerWhoRecordsEveryByteLearnsNeitherTheCodeNorTheKey) {
  StartPairingGateway();
  const std::string code = PairAdd("headset", "alice");
  RecordingRelay relay(tcp_port_);
  ASSERT_NE(relay.port(), 0);
  const std::string key_file = dir_ + "/headset.key";
  const RunResult r = Pair(absl::StrCat("tcp:127.0.0.1:", relay.port()), "headset", "alice", code,
                           {"--save", key_file});
  ASSERT_EQ(r.exit_code, 0) << r.err << gw_.process->log();
  const auto key = assignee::LoadAssignment(key_file);
  ASSERT_TRUE(key.ok()) << key.status();
  const std::string up = relay.to_gateway(), down = relay.to_device();
  // The capture is real: the identities travel in the clear.
  EXPECT_THAT(up, HasSubstr("headset"));
  EXPECT_THAT(up, HasSubstr("alice"));
  EXPECT_THAT(down, HasSubstr("gw-A"));
  const std::string capture = up + down;
  for (const auto& [what, bytes] : CodeForms(code)) ExpectAbsent(capture, bytes, what);
  ExpectAbsent(capture, std::string(key->second_seed.RevealSecret()), "2nd seed");
  ExpectAbsent(capture, std::string(key->eukey.RevealSecret()), "EUKey");
}

// Each case changes one message; the device never gets a key. Before the
// gateway's last answer the gateway refuses too (and counts the attempt
// against the code); a change to the last answer leaves the gateway with an
// assignment the device cannot use.
struct MitmCase {
  Alteration alteration;
  const char* name;
  int failed_attempts;       // on the code afterwards; -1: used
  const char* device_error;  // what the device's error says
};

const MitmCase kMitmCases[] = {
    {Alteration::kStartRequestUserId, "StartPairing request: user_id", 0,
     "PERMISSION_DENIED: the pairing code is not valid"},
    {Alteration::kStartResponseSalt, "StartPairing response: pbkdf_salt", 1,
     "PERMISSION_DENIED: the pairing code is not valid"},
    {Alteration::kStartResponseShare, "StartPairing response: share_v", 1,
     "PERMISSION_DENIED: the pairing code is not valid"},
    {Alteration::kStartResponseGwId, "StartPairing response: gw_id", 1,
     "PERMISSION_DENIED: the pairing code is not valid"},
    {Alteration::kFinishRequestShare, "FinishPairing request: share_p", 1,
     "PERMISSION_DENIED: the pairing code is not valid"},
    {Alteration::kFinishRequestConfirm, "FinishPairing request: confirm_p", 1,
     "PERMISSION_DENIED: the pairing code is not valid"},
    {Alteration::kFinishResponseConfirm, "FinishPairing response: confirm_v", -1,
     "UNAUTHENTICATED: pairing: the gateway's key confirmation does not match"},
    {Alteration::kFinishResponseSealed, "FinishPairing response: sealed_assignment", -1,
     "UNAUTHENTICATED: pairing: the sealed assignment does not open"},
};

// A valid point that no exchange of the test uses: the gateway's share of
// an exchange for another entity, never finished.
std::string AnotherValidPoint(int gateway_port) {
  auto stub = cpns::v1::PairingService::NewStub(grpc::CreateChannel(
      absl::StrCat("127.0.0.1:", gateway_port), grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  cpns::v1::StartPairingRequest request;
  request.set_entity_type(cpns::v1::ENTITY_TYPE_PNE);
  request.set_entity_id("spare");
  request.set_user_id("alice");
  cpns::v1::StartPairingResponse response;
  const grpc::Status s = stub->StartPairing(&ctx, request, &response);
  EXPECT_TRUE(s.ok()) << s.error_message();
  return response.share_v();
}

int Count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

TEST_F(PairingTest, AManInTheMiddleWhoChangesAnyMessageMakesThePairingFail) {
  StartPairingGateway();
  const std::string point = AnotherValidPoint(tcp_port_);
  ASSERT_EQ(point.size(), 65u);
  PairingMitm mitm(absl::StrCat("127.0.0.1:", tcp_port_), point);
  ASSERT_NE(mitm.port(), 0);
  const std::string via = absl::StrCat("tcp:127.0.0.1:", mitm.port());
  const std::string key_file = dir_ + "/headset.key";
  // Unchanged, the exchange goes through the proxy.
  const RunResult control = Pair(via, "headset", "alice", PairAdd("headset", "alice"),
                                 {"--save", key_file});
  ASSERT_EQ(control.exit_code, 0) << control.err << gw_.process->log();
  ASSERT_EQ(unlink(key_file.c_str()), 0);
  size_t assignments = 1;
  for (const MitmCase& c : kMitmCases) {
    SCOPED_TRACE(c.name);
    mitm.set_alteration(c.alteration);
    const int refused_before = Count(gw_.process->log(), "pairing refused");
    const RunResult r = Pair(via, "headset", "alice", PairAdd("headset", "alice"),
                             {"--save", key_file});
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr(c.device_error));
    EXPECT_EQ(r.out, "");
    EXPECT_NE(access(key_file.c_str(), F_OK), 0) << "no key file saved";
    EXPECT_EQ(FailedAttempts("headset", "alice"), c.failed_attempts);
    const bool gateway_answered = c.failed_attempts < 0;
    if (gateway_answered) ++assignments;
    EXPECT_EQ(Assignments(), assignments);
    EXPECT_EQ(Count(gw_.process->log(), "pairing refused"),
              refused_before + (gateway_answered ? 0 : 1));
  }
  mitm.set_alteration(Alteration::kNone);
  const RunResult again = Pair(via, "headset", "alice", PairAdd("headset", "alice"));
  EXPECT_EQ(again.exit_code, 0) << again.err;
}

// The verifier rows of gateway.db, read as a thief with a copy would.
struct VerifierRow {
  std::string entity_id, salt, w0, l;
  int64_t iterations = 0;
};

std::vector<VerifierRow> PendingVerifiers(const std::string& db_path) {
  std::vector<VerifierRow> rows;
  sqlite3* db = nullptr;
  if (sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "cannot open " << db_path << ": " << sqlite3_errmsg(db);
    sqlite3_close(db);
    return rows;
  }
  sqlite3_stmt* q = nullptr;
  EXPECT_EQ(sqlite3_prepare_v2(db,
                               "SELECT entity_id, salt, iterations, w0, l FROM pairing_codes "
                               "WHERE used_at IS NULL",
                               -1, &q, nullptr),
            SQLITE_OK)
      << sqlite3_errmsg(db);
  auto blob = [&](int i) {
    return std::string(static_cast<const char*>(sqlite3_column_blob(q, i)),
                       static_cast<size_t>(sqlite3_column_bytes(q, i)));
  };
  while (q != nullptr && sqlite3_step(q) == SQLITE_ROW) {
    rows.push_back({blob(0), blob(1), blob(3), blob(4), sqlite3_column_int64(q, 2)});
  }
  sqlite3_finalize(q);
  sqlite3_close(db);
  return rows;
}

TEST_F(PairingTest, GatewayDbHoldsTheCodesVerifierAndNeitherTheCodeNorAFastHashOfIt) {
  StartPairingGateway();
  const std::string used = PairAdd("headset", "alice");
  ASSERT_EQ(Pair(tcp_, "headset", "alice", used).exit_code, 0);
  const std::string pending = PairAdd("watch", "bob");
  const std::string base = StateDir("gw-A") + "/gateway.db";
  std::string files;
  for (const char* suffix : {"", "-wal", "-shm"}) files += ReadFileOrEmpty(base + suffix);
  ASSERT_FALSE(files.empty());
  for (const std::string& code : {used, pending}) {
    for (const auto& [what, bytes] : CodeForms(code)) ExpectAbsent(files, bytes, what);
  }
  // What it holds instead: the code's salt, w0 and L = w1*P, which are
  // those of the pending code (the owner saw it; the thief did not).
  const std::vector<VerifierRow> rows = PendingVerifiers(base);
  ASSERT_EQ(rows.size(), 1u);
  const VerifierRow& row = rows[0];
  EXPECT_EQ(row.entity_id, "watch");
  ASSERT_EQ(row.salt.size(), 32u);
  ASSERT_EQ(row.w0.size(), 32u);
  ASSERT_EQ(row.l.size(), 65u);
  EXPECT_EQ(row.l[0], '\x04') << "an uncompressed SEC1 point";
  EXPECT_EQ(row.iterations, pairing::kDefaultIterations);
  const auto canonical = NormalizePairingCode(pending);
  ASSERT_TRUE(canonical.ok());
  const auto secrets = pairing::ProverSecretsFromCode(*canonical, row.salt,
                                                      static_cast<uint32_t>(row.iterations));
  ASSERT_TRUE(secrets.ok()) << secrets.status();
  const auto record = spake2plus::MakeVerifierRecord(*secrets);
  ASSERT_TRUE(record.ok()) << record.status();
  EXPECT_EQ(record->w0.RevealSecret(), row.w0);
  EXPECT_EQ(record->l, row.l);
  ExpectAbsent(files, std::string(secrets->w1.RevealSecret()), "w1");
}

}  // namespace
}  // namespace cpns::test
