// cpns-gw's commands for the gateway's owner, run beside the daemon on its
// state directory: pair add|list|cancel, status, assignments list.
#ifndef CPNS_APPS_CPNS_GW_OWNER_H_
#define CPNS_APPS_CPNS_GW_OWNER_H_

#include <string>

namespace cpns::gw_cli {

struct OwnerFlags {
  std::string state_dir;
  std::string entity_type = "PNE", entity_id, user_id;
  std::string ttl = "10m";
  bool json = false;
};

int PairAdd(const OwnerFlags& f);
int PairList(const OwnerFlags& f);
int PairCancel(const OwnerFlags& f);
int Status(const OwnerFlags& f);
int AssignmentsList(const OwnerFlags& f);

}  // namespace cpns::gw_cli

#endif  // CPNS_APPS_CPNS_GW_OWNER_H_
