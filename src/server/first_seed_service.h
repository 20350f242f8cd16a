// FirstSeedServiceImpl: steps 3-5 of the EUKey assignment flow, server side.
//
// Thread-safe; gRPC calls it from many threads. The peer's gateway identity is
// taken from its verified client certificate; a request for another gateway's
// seed is refused with PERMISSION_DENIED before the store is touched.
#ifndef CPNS_SERVER_FIRST_SEED_SERVICE_H_
#define CPNS_SERVER_FIRST_SEED_SERVICE_H_

#include "cpns/v1/cpns.grpc.pb.h"
#include "storage/seed_store.h"

namespace cpns::server {

class FirstSeedServiceImpl final : public cpns::v1::FirstSeedService::Service {
 public:
  // `store` must outlive the service.
  explicit FirstSeedServiceImpl(storage::SeedStore& store) : store_(store) {}

  grpc::Status RequestFirstSeed(grpc::ServerContext* context,
                                const cpns::v1::FirstSeedRequest* request,
                                cpns::v1::FirstSeedResponse* response) override;

 private:
  storage::SeedStore& store_;
};

}  // namespace cpns::server

#endif  // CPNS_SERVER_FIRST_SEED_SERVICE_H_
