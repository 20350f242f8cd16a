#include "pairing_proxies.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <grpcpp/create_channel.h>
#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>

#include <chrono>

namespace cpns::test {
namespace {

// However long a test runs, the relay gives up after this.
constexpr auto kRelayLifetime = std::chrono::seconds(120);

sockaddr_in Loopback(int port) {
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

bool WriteAll(int fd, const char* data, size_t size) {
  while (size > 0) {
    const ssize_t n = write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

void Flip(std::string& bytes) {
  if (!bytes.empty()) bytes[bytes.size() / 2] ^= 0x01;
}

}  // namespace

RecordingRelay::RecordingRelay(int upstream_port) : upstream_port_(upstream_port) {
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = Loopback(0);
  socklen_t len = sizeof(a);
  if (listen_fd_ < 0 || bind(listen_fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      listen(listen_fd_, 4) != 0 ||
      getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    return;  // port() stays 0: the test fails on it
  }
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { Run(); });
}

RecordingRelay::~RecordingRelay() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  if (listen_fd_ >= 0) close(listen_fd_);
}

std::string RecordingRelay::to_gateway() const {
  std::lock_guard<std::mutex> lock(mu_);
  return to_gateway_;
}

std::string RecordingRelay::to_device() const {
  std::lock_guard<std::mutex> lock(mu_);
  return to_device_;
}

void RecordingRelay::Run() {
  const auto deadline = std::chrono::steady_clock::now() + kRelayLifetime;
  while (!stop_ && std::chrono::steady_clock::now() < deadline) {
    pollfd p{listen_fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    const int device = accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (device < 0) continue;
    const int gateway = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    const sockaddr_in up = Loopback(upstream_port_);
    if (gateway >= 0 &&
        connect(gateway, reinterpret_cast<const sockaddr*>(&up), sizeof(up)) == 0) {
      Relay(device, gateway);
    }
    if (gateway >= 0) close(gateway);
    close(device);
  }
}

// Copies until either side closes (the device's process exits), the relay
// is stopped, or its lifetime ends.
void RecordingRelay::Relay(int device, int gateway) {
  const auto deadline = std::chrono::steady_clock::now() + kRelayLifetime;
  char buf[16384];
  while (!stop_ && std::chrono::steady_clock::now() < deadline) {
    pollfd p[2] = {{device, POLLIN, 0}, {gateway, POLLIN, 0}};
    if (poll(p, 2, 100) <= 0) continue;
    for (int i = 0; i < 2; ++i) {
      if ((p[i].revents & (POLLIN | POLLHUP | POLLERR)) == 0) continue;
      const ssize_t n = read(p[i].fd, buf, sizeof(buf));
      if (n <= 0) return;
      {
        std::lock_guard<std::mutex> lock(mu_);
        (i == 0 ? to_gateway_ : to_device_).append(buf, static_cast<size_t>(n));
      }
      if (!WriteAll(i == 0 ? gateway : device, buf, static_cast<size_t>(n))) return;
    }
  }
}

PairingMitm::PairingMitm(const std::string& upstream, std::string other_point)
    : other_point_(std::move(other_point)),
      upstream_(cpns::v1::PairingService::NewStub(
          grpc::CreateChannel(upstream, grpc::InsecureChannelCredentials()))) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(this);
  server_ = builder.BuildAndStart();
}

PairingMitm::~PairingMitm() {
  if (server_ != nullptr) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }
}

grpc::Status PairingMitm::StartPairing(grpc::ServerContext* context,
                                       const cpns::v1::StartPairingRequest* request,
                                       cpns::v1::StartPairingResponse* response) {
  const Alteration a = alteration_;
  cpns::v1::StartPairingRequest forwarded = *request;
  if (a == Alteration::kStartRequestUserId) forwarded.set_user_id("mallory");
  grpc::ClientContext upstream;
  upstream.set_deadline(context->deadline());
  const grpc::Status s = upstream_->StartPairing(&upstream, forwarded, response);
  if (!s.ok()) return s;
  if (a == Alteration::kStartResponseSalt) Flip(*response->mutable_pbkdf_salt());
  if (a == Alteration::kStartResponseShare) response->set_share_v(other_point_);
  if (a == Alteration::kStartResponseGwId) response->set_gw_id("gw-B");
  return s;
}

grpc::Status PairingMitm::FinishPairing(grpc::ServerContext* context,
                                        const cpns::v1::FinishPairingRequest* request,
                                        cpns::v1::FinishPairingResponse* response) {
  const Alteration a = alteration_;
  cpns::v1::FinishPairingRequest forwarded = *request;
  if (a == Alteration::kFinishRequestShare) forwarded.set_share_p(other_point_);
  if (a == Alteration::kFinishRequestConfirm) Flip(*forwarded.mutable_confirm_p());
  grpc::ClientContext upstream;
  upstream.set_deadline(context->deadline());
  const grpc::Status s = upstream_->FinishPairing(&upstream, forwarded, response);
  if (!s.ok()) return s;
  if (a == Alteration::kFinishResponseConfirm) Flip(*response->mutable_confirm_v());
  if (a == Alteration::kFinishResponseSealed) Flip(*response->mutable_sealed_assignment());
  return s;
}

}  // namespace cpns::test
