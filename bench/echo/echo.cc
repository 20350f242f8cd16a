#include "echo/echo.h"

#include <grpcpp/create_channel.h>
#include <grpcpp/server_builder.h>

#include "absl/strings/str_cat.h"
#include "echo/echo.grpc.pb.h"

namespace cpns::bench {
namespace {

using v1::EchoRequest;
using v1::EchoResponse;

size_t VarintLength(size_t n) {
  size_t length = 1;
  for (; n >= 0x80; n >>= 7) ++length;
  return length;
}

// The padding that makes `message` serialize to exactly `bytes`, or an error
// when no padding can (protobuf's length prefixes step over some sizes).
// Arithmetic, not a search: the server runs it on every call.
template <typename Message>
absl::Status PadTo(Message& message, size_t bytes) {
  message.clear_padding();
  const size_t rest = message.ByteSizeLong();
  if (bytes == rest) return absl::OkStatus();
  if (bytes < rest) {
    return absl::InvalidArgumentError(absl::StrCat("no echo message serializes to ", bytes, " bytes"));
  }
  for (size_t prefix = 2; prefix <= 6 && prefix < bytes - rest; ++prefix) {
    const size_t n = bytes - rest - prefix;  // tag byte + length varint + n
    if (1 + VarintLength(n) + n == bytes - rest) {
      message.mutable_padding()->assign(n, 'p');
      return absl::OkStatus();
    }
  }
  return absl::InvalidArgumentError(absl::StrCat("no echo message serializes to ", bytes, " bytes"));
}

}  // namespace

struct EchoServer::Service final : v1::Echo::Service {
  grpc::Status Echo(grpc::ServerContext*, const EchoRequest* request,
                    EchoResponse* response) override {
    if (!PadTo(*response, request->response_bytes()).ok()) {
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "response size");
    }
    return grpc::Status::OK;
  }
};

absl::StatusOr<std::unique_ptr<EchoServer>> EchoServer::Start(
    const std::string& address, std::shared_ptr<grpc::ServerCredentials> creds) {
  std::unique_ptr<EchoServer> server(new EchoServer());
  server->service_ = std::make_unique<Service>();
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort(address, std::move(creds), &port);
  builder.RegisterService(server->service_.get());
  server->server_ = builder.BuildAndStart();
  if (server->server_ == nullptr) {
    return absl::UnavailableError(absl::StrCat("echo server could not listen at ", address));
  }
  server->address_ = address.rfind("unix:", 0) == 0 ? address : absl::StrCat("127.0.0.1:", port);
  return server;
}

EchoServer::~EchoServer() {
  if (server_ != nullptr) server_->Shutdown();
}

struct EchoClient::Stub {
  std::unique_ptr<v1::Echo::Stub> stub;
};

EchoClient::EchoClient(std::shared_ptr<grpc::Channel> channel)
    : stub_(new Stub{v1::Echo::NewStub(std::move(channel))}) {}

EchoClient::~EchoClient() = default;

absl::Status EchoClient::Call(const EchoShape& shape) {
  EchoRequest request;
  request.set_response_bytes(static_cast<uint32_t>(shape.response_bytes));
  if (absl::Status padded = PadTo(request, shape.request_bytes); !padded.ok()) return padded;
  EchoResponse response;
  grpc::ClientContext context;
  const grpc::Status status = stub_->stub->Echo(&context, request, &response);
  if (!status.ok()) return absl::UnavailableError(absl::StrCat("echo: ", status.error_message()));
  if (response.ByteSizeLong() != shape.response_bytes) {
    return absl::InternalError(absl::StrCat("echo answered ", response.ByteSizeLong(),
                                            " bytes, not ", shape.response_bytes));
  }
  return absl::OkStatus();
}

}  // namespace cpns::bench
