// The cpns-server subcommands, each returning the process exit code.
#ifndef CPNS_APPS_CPNS_SERVER_COMMANDS_H_
#define CPNS_APPS_CPNS_SERVER_COMMANDS_H_

#include <string>
#include <vector>

namespace cpns::server_cli {

inline constexpr const char* kProgram = "cpns-server";

struct Flags {
  std::string listen, db, cert, key, client_ca, ready_file, log_level;
  std::vector<std::string> kek_files;
  std::string new_kek_file;
  bool json = false;
};

int Serve(const Flags& f);
int Init(const Flags& f);
int Migrate(const Flags& f);
int KekRotate(const Flags& f);
int SeedsList(const Flags& f);

}  // namespace cpns::server_cli

#endif  // CPNS_APPS_CPNS_SERVER_COMMANDS_H_
