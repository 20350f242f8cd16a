// Start-up of the one-shot programs, against /bin/true: each iteration
// spawns the process (posix_spawn, output to /dev/null) and waits for it.
//
// The goal's figure is the difference of the per-call times, in ms:
//   1000 / items_per_second(BM_CliVersion/<program>) - 1000 / items_per_second(BM_BinTrue)
// Run them interleaved, as the machine's load moves both:
//   cpns_cli_startup_bench --benchmark_repetitions=10
//     --benchmark_enable_random_interleaving=true
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <vector>

extern char** environ;

namespace cpns {
namespace {

// Runs `argv` to completion with stdout and stderr on /dev/null; false (and
// the benchmark is marked failed) if it cannot be spawned or exits non-zero.
bool RunOnce(const std::vector<std::string>& argv, posix_spawn_file_actions_t& actions) {
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = 0;
  if (posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ) != 0) return false;
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return false;
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void Spawn(benchmark::State& state, const std::vector<std::string>& argv) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
  for (auto _ : state) {
    if (!RunOnce(argv, actions)) {
      state.SkipWithError(("cannot run " + argv[0]).c_str());
      break;
    }
  }
  posix_spawn_file_actions_destroy(&actions);
  state.SetItemsProcessed(state.iterations());
}

void BM_BinTrue(benchmark::State& state) { Spawn(state, {"/bin/true"}); }
BENCHMARK(BM_BinTrue)->UseRealTime();

void BM_CliVersion(benchmark::State& state, const char* program) {
  Spawn(state, {program, "--version"});
}
BENCHMARK_CAPTURE(BM_CliVersion, cpns_pne, CPNS_PNE_PATH)->UseRealTime();
BENCHMARK_CAPTURE(BM_CliVersion, cpns_keytool, CPNS_KEYTOOL_PATH)->UseRealTime();

}  // namespace
}  // namespace cpns

BENCHMARK_MAIN();
