// What stands between a device and its gateway in the pairing tests: a TCP
// relay that records every byte it carries (an onlooker on the personal
// network), and a gRPC man in the middle that forwards PairingService calls
// and can change one chosen message on the way. Both listen on 127.0.0.1
// port 0 and forward to a gateway's tcp: listener.
//
// Each owns its threads and stops them in its destructor, with a deadline.
// Not thread-safe: one test drives each.
#ifndef CPNS_TESTS_INTEGRATION_PAIRING_PROXIES_H_
#define CPNS_TESTS_INTEGRATION_PAIRING_PROXIES_H_

#include <grpcpp/server.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "cpns/v1/cpns.grpc.pb.h"

namespace cpns::test {

// Accepts connections on 127.0.0.1:port() one after the other and copies
// bytes both ways between each and 127.0.0.1:`upstream_port`.
class RecordingRelay {
 public:
  explicit RecordingRelay(int upstream_port);
  ~RecordingRelay();  // stops and joins
  RecordingRelay(const RecordingRelay&) = delete;
  RecordingRelay& operator=(const RecordingRelay&) = delete;

  int port() const { return port_; }
  // Every byte carried so far, device to gateway and gateway to device.
  std::string to_gateway() const;
  std::string to_device() const;

 private:
  void Run();
  void Relay(int device, int gateway);

  const int upstream_port_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::string to_gateway_, to_device_;
  std::thread thread_;
};

// Which message the man in the middle changes, and how.
enum class Alteration {
  kNone,
  kStartRequestUserId,      // user_id becomes "mallory"
  kStartResponseSalt,       // one byte of pbkdf_salt flipped
  kStartResponseShare,      // share_v replaced by another valid point
  kStartResponseGwId,       // gw_id becomes "gw-B"
  kFinishRequestShare,      // share_p replaced by another valid point
  kFinishRequestConfirm,    // one byte of confirm_p flipped
  kFinishResponseConfirm,   // one byte of confirm_v flipped
  kFinishResponseSealed,    // one byte of sealed_assignment flipped
};

// A PairingService on 127.0.0.1:port() (plain TCP) that forwards each call
// to `upstream` ("127.0.0.1:PORT") and applies the alteration set last.
class PairingMitm final : public cpns::v1::PairingService::Service {
 public:
  // `other_point`: a valid P-256 point (65 bytes) that is not the one the
  // exchange would carry, for the alterations that replace a share.
  PairingMitm(const std::string& upstream, std::string other_point);
  ~PairingMitm() override;

  int port() const { return port_; }
  void set_alteration(Alteration a) { alteration_ = a; }

  grpc::Status StartPairing(grpc::ServerContext* context,
                            const cpns::v1::StartPairingRequest* request,
                            cpns::v1::StartPairingResponse* response) override;
  grpc::Status FinishPairing(grpc::ServerContext* context,
                             const cpns::v1::FinishPairingRequest* request,
                             cpns::v1::FinishPairingResponse* response) override;

 private:
  const std::string other_point_;
  std::unique_ptr<cpns::v1::PairingService::Stub> upstream_;
  std::atomic<Alteration> alteration_{Alteration::kNone};
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace cpns::test

#endif  // CPNS_TESTS_INTEGRATION_PAIRING_PROXIES_H_
