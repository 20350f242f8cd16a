#include "wire/tls_reload.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/file_util.h"
#include "core/status_macros.h"
#include "cpns/core/secret_bytes.h"
#include "wire/tls_material.h"

namespace cpns::wire {
namespace {

namespace gx = grpc::experimental;

// How often gRPC re-reads the private copies (its smallest interval).
constexpr unsigned int kPollSeconds = 1;

// Everything a reload reads, checked, before any of it is published.
struct Material {
  std::optional<Identity> identity;  // a client may present none
  std::optional<std::string> roots;  // the CA bundle
  std::shared_ptr<const CrlSet> crls;
};

absl::StatusOr<Material> LoadServerMaterial(const ServerTlsOptions& o) {
  Material m;
  if (!o.crl_file.empty() && o.client_ca_file.empty()) {
    return absl::InvalidArgumentError("a CRL file needs the client CA bundle it is checked with");
  }
  if (!o.client_ca_file.empty()) {
    CPNS_ASSIGN_OR_RETURN(m.roots, ReadCaBundle("client CA", o.client_ca_file));
  }
  // The verifier gets the same bundle as gRPC, in force at once (gRPC
  // re-reads its copy within a poll): a CA removed by a reload is refused
  // from the reload on.
  if (!o.crl_file.empty()) {
    CPNS_ASSIGN_OR_RETURN(m.crls, CrlSet::Load(o.crl_file, *m.roots, absl::Now()));
  } else if (m.roots.has_value()) {
    CPNS_ASSIGN_OR_RETURN(m.crls, CrlSet::ForBundle(*m.roots));
  } else {
    m.crls = std::make_shared<const CrlSet>();
  }
  CPNS_ASSIGN_OR_RETURN(m.identity,
                        ReadIdentity(o.cert_file, o.key_file, KeyFileRule::kOwnerOnly));
  return m;
}

absl::StatusOr<Material> LoadClientMaterial(const ClientTlsOptions& o) {
  Material m;
  CPNS_ASSIGN_OR_RETURN(m.roots, ReadCaBundle("server CA", o.ca_file));
  if (o.cert_file.empty() && o.key_file.empty()) return m;
  CPNS_ASSIGN_OR_RETURN(m.identity,
                        ReadIdentity(o.cert_file, o.key_file, KeyFileRule::kOwnerOnly));
  return m;
}

// The private key, then its chain: one file for gRPC's key and certificate.
std::string IdentityPem(const Identity& identity) {
  return absl::StrCat(identity.private_key, "\n", identity.cert_chain);
}

// The first publication, before gRPC reads anything: files created.
absl::Status CreateFiles(const Material& m, std::unique_ptr<MemFile>& identity,
                         std::unique_ptr<MemFile>& roots) {
  if (m.identity.has_value()) {
    std::string pem = IdentityPem(*m.identity);
    absl::StatusOr<std::unique_ptr<MemFile>> created = MemFile::Create("cpns-tls-identity", pem);
    WipeString(pem);
    if (!created.ok()) return created.status();
    identity = std::move(*created);
  }
  if (m.roots.has_value()) {
    CPNS_ASSIGN_OR_RETURN(roots, MemFile::Create("cpns-tls-roots", *m.roots));
  }
  return absl::OkStatus();
}

// A later publication: every new version is written first, then all are
// committed (dup3 only), so a failure to write changes nothing in use.
// `identity` is null for a client without a certificate (its options, hence
// every reload, have none).
absl::Status ReplaceFiles(const Material& m, MemFile* identity, MemFile* roots) {
  std::optional<MemFile::Next> next_identity;
  if (identity != nullptr && m.identity.has_value()) {
    std::string pem = IdentityPem(*m.identity);
    absl::StatusOr<MemFile::Next> prepared = identity->Prepare(pem);
    WipeString(pem);
    if (!prepared.ok()) return prepared.status();
    next_identity.emplace(std::move(*prepared));
  }
  std::optional<MemFile::Next> next_roots;
  if (roots != nullptr && m.roots.has_value()) {
    absl::StatusOr<MemFile::Next> prepared = roots->Prepare(*m.roots);
    if (!prepared.ok()) return prepared.status();
    next_roots.emplace(std::move(*prepared));
  }
  if (next_identity.has_value()) {
    CPNS_RETURN_IF_ERROR(identity->Commit(std::move(*next_identity)));
  }
  if (next_roots.has_value()) {
    absl::Status s = roots->Commit(std::move(*next_roots));
    if (!s.ok()) {
      return next_identity.has_value()
                 ? WithContext("the identity is reloaded but not the CA bundle", s)
                 : s;
    }
  }
  return absl::OkStatus();
}

absl::Status Publish(const Material& m, bool& created, std::unique_ptr<MemFile>& identity,
                     std::unique_ptr<MemFile>& roots) {
  if (created) return ReplaceFiles(m, identity.get(), roots.get());
  CPNS_RETURN_IF_ERROR(CreateFiles(m, identity, roots));
  created = true;
  return absl::OkStatus();
}

// `identity` is null for a client without a certificate.
std::shared_ptr<gx::CertificateProviderInterface> Watcher(const MemFile* identity,
                                                          const MemFile* roots) {
  if (identity == nullptr) {
    return std::make_shared<gx::FileWatcherCertificateProvider>(roots->path(), kPollSeconds);
  }
  const MemFile& id = *identity;
  if (roots == nullptr) {
    return std::make_shared<gx::FileWatcherCertificateProvider>(id.path(), id.path(),
                                                                kPollSeconds);
  }
  return std::make_shared<gx::FileWatcherCertificateProvider>(id.path(), id.path(),
                                                              roots->path(), kPollSeconds);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReloadableServerTls>> ReloadableServerTls::Create(
    const ServerTlsOptions& options) {
  std::unique_ptr<ReloadableServerTls> tls(new ReloadableServerTls(options));
  CPNS_RETURN_IF_ERROR(tls->Reload());
  gx::TlsServerCredentialsOptions creds(Watcher(tls->identity_.get(), tls->roots_.get()));
  creds.watch_identity_key_cert_pairs();
  if (tls->roots_ != nullptr) {
    creds.watch_root_certs();
    creds.set_cert_request_type(ClientCertificateRequest(options.client_cert));
    creds.set_certificate_verifier(MakeCrlVerifier(tls->crls_));
  }
  tls->credentials_ = gx::TlsServerCredentials(creds);
  if (tls->credentials_ == nullptr) return absl::InternalError("gRPC made no TLS credentials");
  return tls;
}

absl::Status ReloadableServerTls::Reload() {
  CPNS_ASSIGN_OR_RETURN(Material m, LoadServerMaterial(options_));
  CPNS_RETURN_IF_ERROR(Publish(m, created_, identity_, roots_));
  crls_->Set(std::move(m.crls));
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<ReloadableClientTls>> ReloadableClientTls::Create(
    const ClientTlsOptions& options) {
  std::unique_ptr<ReloadableClientTls> tls(new ReloadableClientTls(options));
  CPNS_RETURN_IF_ERROR(tls->Reload());
  // No verifier set: gRPC then verifies the server's chain and its name
  // (the target, or the SSL target name override), as SslCredentials does.
  gx::TlsChannelCredentialsOptions creds;
  creds.set_certificate_provider(Watcher(tls->identity_.get(), tls->roots_.get()));
  if (tls->identity_ != nullptr) creds.watch_identity_key_cert_pairs();
  creds.watch_root_certs();
  tls->credentials_ = gx::TlsCredentials(creds);
  if (tls->credentials_ == nullptr) return absl::InternalError("gRPC made no TLS credentials");
  return tls;
}

absl::Status ReloadableClientTls::Reload() {
  CPNS_ASSIGN_OR_RETURN(Material m, LoadClientMaterial(options_));
  return Publish(m, created_, identity_, roots_);
}

}  // namespace cpns::wire
