#include "wire/tls_reload.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <optional>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
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
  Identity identity;
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
  if (!o.crl_file.empty()) {
    CPNS_ASSIGN_OR_RETURN(m.crls, CrlSet::Load(o.crl_file, *m.roots, absl::Now()));
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
  CPNS_ASSIGN_OR_RETURN(m.identity,
                        ReadIdentity(o.cert_file, o.key_file, KeyFileRule::kOwnerOnly));
  return m;
}

// The private key, then its chain: one file for gRPC's key and certificate.
absl::Status PublishIdentity(const Identity& identity, std::unique_ptr<MemFile>& file) {
  std::string pem = absl::StrCat(identity.private_key, "\n", identity.cert_chain);
  absl::Status s;
  if (file == nullptr) {
    absl::StatusOr<std::unique_ptr<MemFile>> created = MemFile::Create("cpns-tls-identity", pem);
    if (created.ok()) file = std::move(*created);
    s = created.status();
  } else {
    s = file->Replace(pem);
  }
  WipeString(pem);
  return s;
}

absl::Status PublishRoots(const std::optional<std::string>& roots, std::unique_ptr<MemFile>& file) {
  if (!roots.has_value()) return absl::OkStatus();
  if (file != nullptr) return file->Replace(*roots);
  CPNS_ASSIGN_OR_RETURN(file, MemFile::Create("cpns-tls-roots", *roots));
  return absl::OkStatus();
}

std::shared_ptr<gx::CertificateProviderInterface> Watcher(const MemFile& identity,
                                                          const MemFile* roots) {
  if (roots == nullptr) {
    return std::make_shared<gx::FileWatcherCertificateProvider>(identity.path(), identity.path(),
                                                                kPollSeconds);
  }
  return std::make_shared<gx::FileWatcherCertificateProvider>(identity.path(), identity.path(),
                                                              roots->path(), kPollSeconds);
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReloadableServerTls>> ReloadableServerTls::Create(
    const ServerTlsOptions& options) {
  std::unique_ptr<ReloadableServerTls> tls(new ReloadableServerTls(options));
  CPNS_RETURN_IF_ERROR(tls->Reload());
  gx::TlsServerCredentialsOptions creds(Watcher(*tls->identity_, tls->roots_.get()));
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
  CPNS_RETURN_IF_ERROR(PublishIdentity(m.identity, identity_));
  CPNS_RETURN_IF_ERROR(PublishRoots(m.roots, roots_));
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
  creds.set_certificate_provider(Watcher(*tls->identity_, tls->roots_.get()));
  creds.watch_identity_key_cert_pairs();
  creds.watch_root_certs();
  tls->credentials_ = gx::TlsCredentials(creds);
  if (tls->credentials_ == nullptr) return absl::InternalError("gRPC made no TLS credentials");
  return tls;
}

absl::Status ReloadableClientTls::Reload() {
  CPNS_ASSIGN_OR_RETURN(Material m, LoadClientMaterial(options_));
  CPNS_RETURN_IF_ERROR(PublishIdentity(m.identity, identity_));
  return PublishRoots(m.roots, roots_);
}

}  // namespace cpns::wire
