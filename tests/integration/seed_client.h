// A direct FirstSeedService client for tests: speaks to cpns-server as a
// gateway would, with that gateway's certificate from the test PKI.
#ifndef CPNS_TESTS_INTEGRATION_SEED_CLIENT_H_
#define CPNS_TESTS_INTEGRATION_SEED_CLIENT_H_

#include <memory>
#include <string>

#include "cpns/v1/cpns.grpc.pb.h"
#include "wire/tls.h"

namespace cpns::test {

std::unique_ptr<cpns::v1::FirstSeedService::Stub> ServerStub(const std::string& address,
                                                             const wire::ClientTlsOptions& tls);

// A stub authenticated as gateway `cert_id` (files gw-<cert_id>.crt/.key in `pki_dir`).
std::unique_ptr<cpns::v1::FirstSeedService::Stub> GatewayStub(const std::string& address,
                                                              const std::string& pki_dir,
                                                              const std::string& cert_id);

grpc::Status RequestSeed(cpns::v1::FirstSeedService::Stub& stub, const std::string& gw_id,
                         cpns::v1::FirstSeedResponse* response, int deadline_seconds = 15);

}  // namespace cpns::test

#endif  // CPNS_TESTS_INTEGRATION_SEED_CLIENT_H_
