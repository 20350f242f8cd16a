// FirstSeedServiceImpl: steps 3-5 of the EUKey assignment flow, server side,
// and the seed status a gateway polls to learn of rotation and revocation.
//
// Thread-safe; gRPC calls it from many threads. The peer's gateway identity is
// taken from its verified client certificate; a request for another gateway's
// seed is refused with PERMISSION_DENIED before the store is touched, and so
// is every request of a revoked gateway. A store failure is UNAVAILABLE (retry
// later) or INTERNAL (the operator's to fix; details only in the log).
#ifndef CPNS_SERVER_FIRST_SEED_SERVICE_H_
#define CPNS_SERVER_FIRST_SEED_SERVICE_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "cpns/v1/cpns.grpc.pb.h"
#include "observe/metrics.h"
#include "server/caller.h"
#include "storage/seed_store.h"

namespace cpns::server {

class FirstSeedServiceImpl final : public cpns::v1::FirstSeedService::Service {
 public:
  // `seeds` issues, `catalog` answers seed status; both must outlive the
  // service. New seeds live `seed_lifetime`. Each 1st Seed Response sent
  // counts on `issued` (cpns_first_seeds_issued_total) when not null.
  FirstSeedServiceImpl(storage::SeedIssuer& seeds, storage::SeedCatalog& catalog,
                       absl::Duration seed_lifetime, observe::Counter* issued = nullptr)
      : seeds_(seeds), catalog_(catalog), seed_lifetime_(seed_lifetime), issued_(issued) {}

  grpc::Status RequestFirstSeed(grpc::ServerContext* context,
                                const cpns::v1::FirstSeedRequest* request,
                                cpns::v1::FirstSeedResponse* response) override;
  grpc::Status GetSeedStatus(grpc::ServerContext* context,
                             const cpns::v1::SeedStatusRequest* request,
                             cpns::v1::SeedStatusResponse* response) override;

  // The two calls once the caller is known; what the gRPC methods run.
  absl::Status FirstSeed(const Caller& caller, const cpns::v1::FirstSeedRequest& request,
                         cpns::v1::FirstSeedResponse& response);
  absl::Status SeedStatus(const Caller& caller, const cpns::v1::SeedStatusRequest& request,
                          cpns::v1::SeedStatusResponse& response);

 private:
  storage::SeedIssuer& seeds_;
  storage::SeedCatalog& catalog_;
  const absl::Duration seed_lifetime_;
  observe::Counter* const issued_;  // may be null
};

}  // namespace cpns::server

#endif  // CPNS_SERVER_FIRST_SEED_SERVICE_H_
