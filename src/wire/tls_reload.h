// TLS credentials of the daemons that can be reloaded while they serve:
// Reload() re-reads the certificate, key, CA bundle (and, on a server, the
// CRL file); new handshakes then use them, established connections keep
// theirs (until they end: at most kMaxConnectionAge + grace, wire/
// listener.h, so a revocation refuses only new handshakes). A reload that
// fails changes nothing: everything is read and checked, then every new
// private copy is written (MemFile::Prepare), and only then are they put in
// place (MemFile::Commit, a dup3 each, which fails only on a kernel race it
// documents; the error then says what was reloaded) and the verifier's CA
// bundle and CRLs swapped as one (wire/crl.h).
//
// How: gRPC 1.51 offers no way to push new material into credentials, only
// grpc::experimental::FileWatcherCertificateProvider, which re-reads files
// every second. Its files are private in-memory copies (wire/mem_file.h)
// that only Create and Reload write, after checking everything as
// MakeServerCredentials does; so gRPC never reads an operator's file half
// written, a key that does not match, or a file that vanished (on a read
// error it would drop the material). The key and its chain share one copy
// (OpenSSL's PEM readers skip blocks of another type), so a key and a
// certificate of different versions are never paired. New material is in
// use within one poll (about a second) after Reload returns; the server's
// verifier (bundle and CRLs) at once.
//
// Descriptors: each instance keeps two memfds for the life of the process;
// gRPC's watcher opens one of them at a time for a moment each second, and
// Reload two new ones for a moment. These come out of kReservedDescriptors
// (wire/listener.h), which the connection caps leave free
// (FitToDescriptorLimit), so connections at their caps cannot starve them.
// If the process ran out of descriptors all the same, gRPC 1.51's watcher
// would drop the identity on the failed read (handshakes fail) until its
// next good read, a second after descriptors are free again.
//
// Thread-safe: credentials() from any thread; Reload from one thread at a
// time (the daemon's signal thread). Only the daemons use these; one-shot
// programs keep MakeServerCredentials / MakeChannelCredentials (wire/tls.h).
#ifndef CPNS_WIRE_TLS_RELOAD_H_
#define CPNS_WIRE_TLS_RELOAD_H_

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>

#include <memory>

#include "absl/status/statusor.h"
#include "wire/crl.h"
#include "wire/mem_file.h"
#include "wire/tls.h"

namespace cpns::wire {

class ReloadableServerTls {
 public:
  // MakeServerCredentials' errors; the key file must also be owner-only
  // (FailedPrecondition), and options.crl_file, when set, needs
  // client_ca_file and passes CrlSet::Load.
  static absl::StatusOr<std::unique_ptr<ReloadableServerTls>> Create(
      const ServerTlsOptions& options);
  std::shared_ptr<grpc::ServerCredentials> credentials() const { return credentials_; }
  // Create's errors; on error the material in use stays.
  absl::Status Reload();

 private:
  explicit ReloadableServerTls(ServerTlsOptions options) : options_(std::move(options)) {}

  const ServerTlsOptions options_;
  bool created_ = false;  // the files exist: a reload replaces them
  std::unique_ptr<MemFile> identity_;
  std::unique_ptr<MemFile> roots_;  // null without client_ca_file
  std::shared_ptr<CrlHolder> crls_ = std::make_shared<CrlHolder>();
  std::shared_ptr<grpc::ServerCredentials> credentials_;
};

class ReloadableClientTls {
 public:
  // MakeChannelCredentials' errors; the key file, when set, must be
  // owner-only (FailedPrecondition). Without a certificate and key (both
  // empty) it presents none, and reloads only the CA bundle. The server's
  // name is checked as with MakeChannelCredentials.
  static absl::StatusOr<std::unique_ptr<ReloadableClientTls>> Create(
      const ClientTlsOptions& options);
  std::shared_ptr<grpc::ChannelCredentials> credentials() const { return credentials_; }
  // Create's errors; on error the material in use stays.
  absl::Status Reload();

 private:
  explicit ReloadableClientTls(ClientTlsOptions options) : options_(std::move(options)) {}

  const ClientTlsOptions options_;
  bool created_ = false;  // the files exist: a reload replaces them
  std::unique_ptr<MemFile> identity_;  // null without a client certificate
  std::unique_ptr<MemFile> roots_;
  std::shared_ptr<grpc::ChannelCredentials> credentials_;
};

}  // namespace cpns::wire

#endif  // CPNS_WIRE_TLS_RELOAD_H_
