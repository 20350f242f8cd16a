#include "seed_client.h"

#include <grpcpp/create_channel.h>
#include <gtest/gtest.h>

#include <chrono>

namespace cpns::test {

std::unique_ptr<cpns::v1::FirstSeedService::Stub> ServerStub(const std::string& address,
                                                             const wire::ClientTlsOptions& tls) {
  auto creds = wire::MakeChannelCredentials(tls);
  EXPECT_TRUE(creds.ok()) << creds.status();
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return cpns::v1::FirstSeedService::NewStub(grpc::CreateCustomChannel(address, *creds, args));
}

std::unique_ptr<cpns::v1::FirstSeedService::Stub> GatewayStub(const std::string& address,
                                                              const std::string& pki_dir,
                                                              const std::string& cert_id) {
  return ServerStub(address, {.ca_file = pki_dir + "/ca.crt",
                              .cert_file = pki_dir + "/gw-" + cert_id + ".crt",
                              .key_file = pki_dir + "/gw-" + cert_id + ".key"});
}

grpc::Status RequestSeed(cpns::v1::FirstSeedService::Stub& stub, const std::string& gw_id,
                         cpns::v1::FirstSeedResponse* response, int deadline_seconds) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(deadline_seconds));
  cpns::v1::FirstSeedRequest req;
  req.set_gw_id(gw_id);
  return stub.RequestFirstSeed(&ctx, req, response);
}

}  // namespace cpns::test
