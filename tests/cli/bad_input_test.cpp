// Bad input, as a new user types it, on every command (issue 15). One table: the arguments, the
// exit code the README promises (0 ok, 1 a property violated, 2 bad input, 3 the machine failed),
// words the output must contain (the input named, the fix) and must not, and for every case that
// nothing in the case's folder changed: the output files that were there before are byte for
// byte the same, and no file appeared. Each case runs under a timeout, so a hang fails instead of
// stalling the suite, and a crash (SIGABRT is exit 134) shows as a wrong exit code.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "tests/support.h"

namespace fs = std::filesystem;
using ua2a::testing::run_cli;

namespace {

struct Case {
  std::string item;                 ///< the issue's item or class this covers
  std::string args;                 ///< {dir} is the case's folder, {src} the source tree
  int exit_code;
  std::vector<std::string> words;   ///< each must appear in stdout + stderr
  std::vector<std::string> absent;  ///< none may appear
};

constexpr int kSeconds = 120;  ///< per case; the slowest good case here takes about a second

// Files every case finds in its folder: outputs a command might clobber, and inputs.
const std::map<std::string, std::string> kFiles = {
    {"keep.json", "{\"sentinel\": \"keep.json\"}\n"},
    {"keep.txt", "sentinel keep.txt\n"},
    {"keep.svg", "<svg>sentinel</svg>\n"},
    {"bad-model.json", "{\"format\": \"ulysses-a2a/model\", \"version\": 1, \"name\": \"m\", \"layer\": 4}\n"},
    {"sd3-config.json", "{\"_class_name\": \"SD3Transformer2DModel\", \"num_layers\": 24}\n"},
    {"bad-gpu.json", "{\"format\": \"ulysses-a2a/gpu\", \"version\": 1, \"name\": \"g\", \"bf16_tflops\": 100, "
                     "\"fp8_tflops\": 200, \"memory_gbps\": 900, \"memory_gb\": 48e9, \"flash_attention_tflops\": 90, "
                     "\"sage_attention_tflops\": 180}\n"},
    {"flash3-gpu.json", "{\"format\": \"ulysses-a2a/gpu\", \"version\": 1, \"name\": \"g\", \"bf16_tflops\": 100, "
                        "\"fp8_tflops\": 200, \"memory_gbps\": 900, \"memory_gb\": 48, \"flash_attention_tflops\": 90, "
                        "\"sage_attention_tflops\": 180, \"flash3_attention_tflops\": \"fast\"}\n"},
    // DOT numbers Boost's lexer used to cut short: 2.4e1 was read as 2.4, "24 GB" as 24.
    {"exp.dot", "digraph { gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=2.4e1]; "
                "cpu0 -> gpu0 [capacity_gbps=24]; }\n"},
    {"twice.dot", "digraph { gpu0 [kind=gpu]; gpu0 [kind=switch]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=24]; }\n"},
    {"slow.dot", "digraph { gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=24, latency_us=\"1e300\"]; "
                 "cpu0 -> gpu0 [capacity_gbps=24]; }\n"},
    {"unit.dot", "digraph { gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=24 GB]; "
                 "cpu0 -> gpu0 [capacity_gbps=24]; }\n"},
    // sim-4.json's first link, gpu0 -> sw0, at half its capacity there.
    {"half.dot", "digraph { gpu0 [kind=gpu]; sw0 [kind=switch]; cpu0 [kind=cpu]; gpu0 -> sw0 [capacity_gbps=12]; "
                 "sw0 -> gpu0 [capacity_gbps=12]; sw0 -> cpu0 [capacity_gbps=24]; cpu0 -> sw0 [capacity_gbps=24]; }\n"},
    // Values Boost's conversion refused without naming the attribute ("bad lexical cast").
    {"quoted.dot", "digraph { gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=\"24 GB\"]; "
                   "cpu0 -> gpu0 [capacity_gbps=24]; }\n"},
    {"bigbox.dot", "digraph { gpu0 [kind=gpu]; cpu0 [kind=cpu, box=99999999999]; gpu0 -> cpu0 [capacity_gbps=24]; "
                   "cpu0 -> gpu0 [capacity_gbps=24]; }\n"},
    // A box of one GPU: nothing to probe between.
    {"one.dot", "digraph { gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=24]; "
                "cpu0 -> gpu0 [capacity_gbps=24]; }\n"},
    // The P2P mode must be on or off.
    {"p2p.dot", "digraph { graph [p2p=maybe]; gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=24]; "
                "cpu0 -> gpu0 [capacity_gbps=24]; }\n"},
    // A NUL byte inside a value: the message showed what came before it and stopped (issue 21).
    {"nul.dot", std::string("digraph { gpu0 [kind=gpu]; cpu0 [kind=cpu]; gpu0 -> cpu0 [capacity_gbps=\"2") + '\0' +
                    "4\"]; cpu0 -> gpu0 [capacity_gbps=24]; }\n"},
    {"nul.txt", [] {
       std::string text = ua2a::testing::read_source("tests/sim/data/4090x4.txt");
       return text.replace(text.find("NODE"), 4, std::string("NO\0DE", 5));
     }()},
    // Inputs of measure import that no tool prints.
    {"empty.txt", ""},
    {"binary.bin", std::string("\x7f" "ELF\x02\x01\x01\0\0\0\0\0\0\0\0\0", 16)},
    // A schedule file past the generator's chunk limit: the reader refuses it with the same words.
    // A schedule with no rounds: every piece missing (simulate timed it at 0.000 s).
    {"norounds.json", "{\"format\": \"ulysses-a2a/schedule\", \"version\": 1, \"ranks\": 4, \"algo\": \"x\", "
                      "\"kind\": \"pairing\", \"payload\": {\"chunks\": 1, \"parts\": [{\"name\": \"block\", "
                      "\"bytes\": 1}]}, \"rounds\": []}\n"},
    // docs/validation.md's one-transfer schedule: one piece of two, on purpose.
    {"oneway.json", "{\"format\":\"ulysses-a2a/schedule\",\"version\":1,\"ranks\":2,\"algo\":\"one-way\",\"kind\":\"directed\","
                    "\"payload\":{\"chunks\":1,\"parts\":[{\"name\":\"block\",\"bytes\":268435456}]},"
                    "\"rounds\":[{\"transfers\":[{\"src\":0,\"dst\":1,\"part\":0,\"chunk\":0,\"bytes\":268435456}]}]}\n"},
    // `nvidia-smi topo -m` saved by an editor that writes a UTF-8 byte-order mark.
    {"bom.txt", "\xEF\xBB\xBF" + ua2a::testing::read_source("tests/sim/data/4090x4.txt")},
    {"chunks.json", "{\"format\": \"ulysses-a2a/schedule\", \"version\": 1, \"ranks\": 2, \"algo\": \"x\", "
                    "\"kind\": \"pairing\", \"payload\": {\"chunks\": 1048577, \"parts\": [{\"name\": \"block\", "
                    "\"bytes\": 1}]}, \"rounds\": []}\n"},
};

// clang-format off
const std::vector<Case> kCases = {
  // ---- crashes and hangs: sized before anything is allocated ----
  {"run sized first", "run --seq 100000000 --ranks 2", 2, {"needs about", "bytes) of host memory", "available", "--seq"}},
  {"run sized first, --check", "run --seq 100000000 --ranks 2 --check", 2, {"needs about", "available"}},
  {"bench sized first", "bench --seq 100000000 --ranks 2 --no-exchange", 2, {"needs about", "available"}},
  {"bench sweep sized first", "bench --ranks 2 -b 64G -e 64G --no-layer", 2, {"the sweep up to -e 64G needs about"}},
  {"bench hang: 0-byte sweep", "bench --ranks 2 -b 0 -e 0 --no-layer", 2, {"-b/--minbytes 0", "N x 4 bytes = 8"}},
  {"bench: nothing to time", "bench --no-exchange --no-layer", 2, {"nothing to time"}},
  {"schedule limit up front", "schedule --ranks 65536", 2, {"ranks must be between 1 and 4096, got 65536"}},
  {"schedule limit up front", "schedule --ranks 16385 -o {dir}/keep.json", 2, {"between 1 and 4096"}},
  {"verify limit up front", "verify --ranks 16385", 2, {"between 1 and 4096"}},
  {"render limit up front", "render pairings --ranks 16385 -o {dir}/keep.svg", 2, {"between 1 and 4096"}},
  {"pieces limit", "schedule --ranks 64 --chunks 4097", 2, {"pieces exceeds the limit of 16777216"}},
  {"one validation: generator", "schedule --chunks 1048577", 2, {"chunks", "between 1 and 1048576, got 1048577"}},
  {"one validation: reader", "verify --input {dir}/chunks.json", 2, {"payload.chunks", "between 1 and 1048576, got 1048577"}},

  // ---- numbers: whole or refused, never wrapped ----
  {"negative wraps: schedule", "schedule --ranks 2 --bytes -5 -o {dir}/keep.json", 2, {"--bytes", "'-5'", "non-negative"}},
  {"negative wraps: verify", "verify --ranks 2 --chunks -1", 2, {"--chunks", "'-1'"}},
  {"negative wraps: simulate", "simulate --bytes -1 --algo grouped", 2, {"--bytes", "'-1'"}},
  {"negative wraps: render", "render pairings --ranks 4 --round -1 -o {dir}/keep.svg", 2, {"--round", "'-1'"}},
  {"negative wraps: run", "run --seq -64", 2, {"--seq", "'-64'"}},
  {"negative wraps: bench", "bench -n -1", 2, {"--iters", "'-1'"}},
  {"negative wraps: report", "report --frames -81 --out {dir}", 2, {"--frames", "'-81'"}},
  {"negative: topo", "topo show 4090x4 --boxes -2", 2, {"--boxes"}},
  {"whole numbers", "schedule --ranks 8.5", 2, {"--ranks", "'8.5'"}},
  {"whole numbers", "schedule --ranks 1e3", 2, {"--ranks", "'1e3'"}},
  {"whole numbers", "verify --ranks 0x10", 2, {"--ranks", "'0x10'", "decimal"}},
  {"whole numbers", "bench -b 8KB --no-layer", 2, {"-b/--minbytes 8KB", "K, M or G"}},
  {"finite numbers", "topo import {src}/tests/sim/data/4090x4.txt --socket-gbps nan", 2, {"--socket-gbps", "'nan'"}},
  {"no octal", "schedule --ranks 010 --bytes 1", 0, {"10 ranks"}},
  {"DOT number read whole", "simulate --topology {dir}/exp.dot --algo grouped --ranks 1", 2, {"'2.4e1'", "quote it"}},
  {"DOT number read whole", "topo show {dir}/exp.dot -o {dir}/keep.txt", 2, {"'2.4e1'"}},
  {"DOT: the attribute named", "topo show {dir}/quoted.dot", 2, {"capacity_gbps=\"24 GB\" is not a number"}, {"lexical"}},
  {"DOT: the attribute named", "topo show {dir}/bigbox.dot", 2, {"box=99999999999 is not a whole number"}, {"lexical"}},
  {"DOT number has no unit", "topo show {dir}/unit.dot", 2, {"'GB' has no value (after capacity_gbps=24)", "no unit"}},

  // ---- options that cannot apply are errors naming the option ----
  {"cannot apply: schedule", "schedule --ranks 8 --seq 0", 2, {"--seq 0", "--bytes"}},
  {"cannot apply: schedule", "schedule --ranks 8 --dtype fp8", 2, {"--dtype applies to the Ulysses payload only", "--seq"}},
  {"cannot apply: schedule", "schedule --ranks 8 --heads 12", 2, {"--heads applies to the Ulysses payload only"}},
  {"cannot apply: schedule", "schedule --ranks 8 --seq 64 --bytes 100", 2, {"--bytes and --seq"}},
  {"cannot apply: verify", "verify --ranks 8 --head-dim 64", 2, {"--head-dim applies to the Ulysses payload only"}},
  {"cannot apply: render", "render pairings --ranks 8 --exchange out -o {dir}/keep.svg", 2, {"--exchange does not apply"}},
  {"cannot apply: simulate", "simulate --model wan2.1-14b --heads 80", 2, {"--heads does not apply to a --model shape"}},
  {"cannot apply: simulate", "simulate --model wan2.1-14b --seq 100", 2, {"--seq and --model"}},
  {"cannot apply: simulate", "simulate --bytes 1000 --resolution 720p", 2, {"--resolution applies to --model only"}},
  {"cannot apply: run", "run --resolution 720p", 2, {"--resolution applies with --model only"}},
  {"padding: no tokens", "run --image-tokens 0", 2, {"--image-tokens must be at least 1 token"}},
  {"padding: one shape", "run --image-tokens 61 --seq 8", 2, {"--seq excludes --image-tokens"}},
  {"padding: one shape", "run --image-tokens 61 --model wan2.1-14b", 2, {"--image-tokens", "--model"}},
  {"cannot apply: run", "run --timeout 0", 2, {"--timeout must be more than 0"}},
  {"cannot apply: run", "run --iterations 0", 2, {"--iterations 0"}},
  {"cannot apply: bench", "bench --iterations 0", 2, {"--iterations 0"}},
  {"cannot apply: bench", "bench -f 1", 2, {"-f/--stepfactor 1", "at least 2"}},
  {"cannot apply: bench", "bench -b 100 -e 10", 2, {"-e/--maxbytes 10 is below -b/--minbytes 100"}},
  {"cannot apply: bench", "bench --ranks 3 --algo xor --no-layer", 2, {"no --algo x --discipline pair applies to 3 ranks"}},
  {"bench: no layer, no layer shape", "bench --ranks 3 --no-layer -b 8K -e 8K -n 1 -w 0", 0, {"round-robin"}, {"--heads"}},
  {"bench: no layer, no layer shape", "bench --ranks 3 --no-layer -b 8K -e 8K --heads 16", 2, {"--heads does not apply with --no-layer"}},

  // ---- checked writes; all outputs checked before any is written ----
  {"checked write: schedule", "schedule --ranks 2 -o /dev/full", 2, {"failed writing '/dev/full'"}},
  {"checked write: verify", "verify --ranks 2 --emit-promela /dev/full", 2, {"failed writing '/dev/full'"}},
  {"checked write: topo", "topo show 4090x4 -o /dev/full", 2, {"failed writing '/dev/full'"}},
  {"checked write: render", "render pairings --ranks 4 --format dot -o /dev/full", 2, {"failed writing '/dev/full'"}},
  {"checked write: simulate", "simulate --algo grouped --json-out /dev/full", 2, {"failed writing '/dev/full'"}},
  {"outputs checked first", "simulate --json-out /proc/x --trace {dir}/keep.json", 2, {"cannot write '/proc/x'"}},
  {"outputs checked first", "simulate --algo grouped --trace {dir}/keep.json --json-out /dev/full", 2, {"/dev/full"}},
  {"outputs checked first", "simulate --trace {dir}/no/such/dir/t.json", 2, {"directory '{dir}/no/such/dir' does not exist"}},
  {"outputs checked first", "simulate --trace {dir}", 2, {"is a directory"}},
  {"outputs checked first", "report --out {dir}/keep.txt --no-layer-check", 2, {"keep.txt"}},
  {"bad input leaves nothing", "report --topology 4090x9 --out {dir}/new --no-layer-check", 2, {"4090x9"}},

  // ---- skips with a note, where the docs say combinations that do not apply are skipped ----
  {"--transport all skips", "simulate --transport all --algo grouped", 0, {"note: skipped --transport nvlink", "grouped", "p2p"}},
  {"odd N skips xor", "simulate --ranks 5", 0, {"note: skipped xor / paired-full", "power-of-two", "round-robin"}},
  {"odd N: xor asked for", "simulate --ranks 5 --algo xor", 2, {"xor needs a power-of-two number of ranks"}},

  // ---- verifier reports ----
  {"mismatch is no delivery", "verify --input {src}/docs/examples/mismatch.json", 1,
   {"matches consistent: NO", "exactly-once delivery: NO"}, {"exactly-once delivery: yes"}},
  {"eager pass and zero-buffer", "verify --ranks 8 --algo shift --discipline naive --eager 1048576", 0,
   {"verdict: every property holds", "zero-buffer (no eager sends): DEADLOCKS"}},
  {"eager pass and zero-buffer", "verify --ranks 8 --discipline paired-full --eager 64 --json", 0,
   {"\"zero_buffer_deadlock_free\": true"}},

  // ---- one vocabulary ----
  {"model: new form", "simulate --model wan2.1-1.3b --resolution 720p --ranks 4 --topology 4090x4 --algo grouped", 0, {"grouped"}, {"note:"}},
  {"model: old form is an alias", "simulate --model wan2.1-14b-480p --algo grouped", 0,
   {"note: --model wan2.1-14b-480p is the old spelling of --model wan2.1-14b --resolution 480p"}},
  {"model: old form in bench", "bench --model wan2.1-14b-720p --no-layer -b 64 -e 64 -n 1 -w 0", 0,
   {"old spelling of --model wan2.1-14b --resolution 720p", "round-robin"}},
  {"model: forms disagree", "run --model wan2.1-14b-480p --resolution 720p", 2, {"disagree", "--model wan2.1-14b --resolution 720p"}},
  {"model: unknown", "run --model wan9", 2, {"unknown --model 'wan9'", "wan2.1-14b, wan2.1-1.3b, hunyuanvideo-1.5"}},
  {"model: unknown", "report --model wan9 --out {dir}", 2, {"wan9"}},
  {"bench: nccl-tests flags", "bench --ranks 4 -b 64 -e 256 -f 4 -n 1 -w 0 --algo grouped --discipline grouped --no-layer", 0,
   {"              64  grouped", "             256  grouped"}},
  {"bench: old flags, with a note", "bench --ranks 4 --min-bytes 0 --no-layer", 2,
   {"note: bench --min-bytes 0 (bytes per block) is the old spelling of --minbytes 0", "-b/--minbytes 0 is below"}},
  {"bench: old flags, with a note", "bench --ranks 4 --min-bytes 16 --max-bytes 16 --algos grouped --no-layer -n 1 -w 0", 0,
   {"old spelling of --minbytes 64 (N x block = 4 x 16)", "old spelling of --algo", "              64  grouped"}},
  {"bench: old and new at once", "bench --factor 2 -f 4", 2, {"--factor and --stepfactor give the same setting"}},
  {"bench: --algo is the sweep", "bench --ranks 4 --algo shift -b 64 -e 64 -n 1 -w 0 --no-layer", 0, {"  shift  "},
   {"round-robin"}},
  {"short options: one meaning", "run -t threads", 2, {"-t"}},
  {"short options: one meaning", "schedule -n 4", 2, {"-n"}},
  {"short options: one meaning", "schedule -f json", 2, {"-f"}},
  {"help shows real defaults", "simulate --help", 0, {"(default: the issue-4 study)", "instead of a --model shape"},
   {"TEXT=round-robin", "UINT=1048576", "UINT=40 "}},
  {"format and version: run", "run --ranks 2 --heads 2 --seq 4 --json", 0, {"\"format\": \"ulysses-a2a/run\"", "\"version\": 1"}},
  {"format and version: bench", "bench --ranks 2 -b 16 -e 16 -n 1 -w 0 --no-layer --json", 0,
   {"\"format\": \"ulysses-a2a/bench\"", "\"version\": 1"}},
  {"format and version: topo list", "topo list --json", 0, {"\"format\": \"ulysses-a2a/presets\"", "\"version\": 1"}},
  {"format and version: render", "render pairings --ranks 4 --format dot -o /dev/null --json", 0,
   {"\"format\": \"ulysses-a2a/render\"", "\"version\": 1", "\"image_format\": \"dot\""}},

  // ---- the contention model's and the planner's options (issues 13, 16) ----
  {"sim model name", "simulate --sim-model exact --json-out {dir}/keep.json", 2, {"--sim-model", "exact"}},
  {"sim model name", "report --sim-model exact --out {dir}", 2, {"--sim-model", "exact"}},
  {"mechanism names", "simulate --mechanisms tlp,bogus --trace {dir}/keep.json", 2, {"unknown mechanism 'bogus'", "tlp, interleave, window, channels"}},
  {"mechanisms need contention", "simulate --sim-model fluid --mechanisms tlp", 2, {"--mechanisms applies to --sim-model contention only"}},
  {"transport names", "simulate --transport nccl", 2, {"unknown transport 'nccl'", "cuda-p2p"}},
  {"platform names", "topo import {src}/tests/sim/data/4090x4.txt --platform arm -o {dir}/keep.txt", 2, {"unknown platform 'arm'", "intel-xeon"}},
  {"contention parameters", "topo import {src}/tests/sim/data/4090x4.txt --gpu-ce-alpha -1", 2, {"--gpu-ce-alpha"}},
  {"checked writes", "calibrate -o /dev/full", 2, {"/dev/full"}},
  // ---- issue 21: one checked arithmetic for sizes, readers that refuse what they cannot hold ----
  {"sizes overflow", "schedule --ranks 8 --seq 4294967296 --heads 4294967296", 2, {"past", "--seq, --heads"}, {"block: 0 B"}},
  {"sizes overflow", "simulate --ranks 8 --seq 4294967296 --heads 4294967296 --head-dim 128", 2, {"past"}},
  {"topo import --gpu names", "topo import {src}/tests/sim/data/4090x4.txt --gpu 'RTX 4090' -o {dir}/keep.txt", 2,
   {"--gpu 'RTX 4090' must be a lowercase name"}},
  {"DOT node twice", "topo show {dir}/twice.dot", 2, {"node 'gpu0' is declared twice (kind gpu, then switch)"}},
  {"DOT absurd latency", "topo show {dir}/slow.dot", 2, {"latency_us", "from 0 to 1000000"}},
  // ---- issue 21, class 3: outputs collected and checked before any work (cli/outputs.h) ----
  {"outputs: two on one path", "simulate --algo grouped --json-out {dir}/keep.json --trace {dir}/keep.json", 2,
   {"--json-out and --trace both name {dir}/keep.json"}},
  {"outputs: the input", "render topology {dir}/one.dot -o {dir}/one.dot", 2, {"-o/--output {dir}/one.dot is an input (topology)"}},
  {"outputs: the input", "topo show {dir}/one.dot -o {dir}/one.dot", 2, {"is an input (topology)"}},
  {"outputs: a directory", "schedule --ranks 2 -o {dir}", 2, {"-o/--output {dir} is a directory"}},
  {"outputs: a missing directory", "verify --ranks 2 --emit-promela {dir}/no/such/m.pml", 2, {"--emit-promela", "does not exist"}},
  {"outputs: a folder that is a file", "report --out {dir}/keep.txt --no-layer-check", 2, {"-o/--out {dir}/keep.txt is a file, not a folder"}},
  {"outputs: report through a temporary folder", "report --ranks 2 -t 4090x4 --no-layer-check --out {dir}/rep", 2,
   {"{dir}/rep/timeline.svg' is a directory"}, {"space"}},
  {"outputs: render report through a temporary folder", "render report --ranks 4 -o {dir} --simulation {dir}/keep.json", 2,
   {"simulation document"}},
  {"outputs: render report, empty document", "render report --ranks 4 -o {dir} --simulation {dir}/empty.txt", 2,
   {"--simulation {dir}/empty.txt is empty"}},
  // ---- issue 21, class 2: nothing silently ignored (cli/option_rules.h) ----
  {"ignored: verify -i", "verify -i {src}/docs/examples/mismatch.json --ranks 8 --algo shift --bytes 100", 2,
   {"--ranks does not apply with --input"}},
  {"ignored: simulate -i", "simulate -i {src}/docs/examples/mismatch.json --model wan2.1-14b --resolution 720p -k 4", 2,
   {"does not apply with --input"}},
  {"ignored: plan --seq", "plan --seq 100 --heads 40 --resolution 720p --frames 5 --no-cfg", 2,
   {"--resolution does not apply with --seq"}},
  {"ignored: plan --head-dim", "plan -t 4090x4 --head-dim 64", 2, {"--head-dim applies with --seq only"}},
  {"ignored: plan --validate", "plan --json --validate", 2, {"--json does not apply with --validate"}},
  {"ignored: plan --validate", "plan --validate --picture {dir}/v.svg", 2, {"--picture does not apply with --validate"}},
  {"ignored: schedule --list", "schedule --list --format json", 2, {"--format does not apply with --list"}},
  {"ignored: simulate --with-dot", "simulate --algo grouped --with-dot", 2, {"--with-dot applies with --json or --json-out only"}},
  {"ignored: render --run", "render topology 4090x4 --run 1 -o {dir}/t.svg", 2, {"--run applies with --load only"}},
  {"ignored: render --run", "render report --ranks 4 -o {dir} --run 1", 2, {"--run applies with --simulation only"}},
  {"ignored: render payload", "render pairings --ranks 4 --bytes 100 -o {dir}/p.svg", 2, {"--bytes does not apply to ulysses-a2a render pairings"}},
  {"ignored: render payload", "render report --ranks 4 --seq 8 -o {dir}", 2, {"--seq does not apply to ulysses-a2a render report"}},
  {"ignored: a part the box lacks", "topo import {src}/tests/sim/data/4090x4.txt --socket-gbps 20", 2,
   {"--socket-gbps does not apply: the imported box has one socket"}},
  {"ignored: empty list", "simulate --algo '' --transport ''", 2, {"--algo", "is empty"}},
  {"ignored: duplicate item", "simulate --algo round-robin,round-robin", 2, {"names 'round-robin' twice"}},
  {"ignored: empty item", "simulate --algo round-robin,,grouped", 2, {"has an empty item"}},
  // ---- issue 21, class 1: numbers (cli/numbers.h): finite, in range, named, printed readably ----
  {"numbers: nan with a range", "plan --gemm-efficiency nan", 2, {"--gemm-efficiency", "'nan' is not a finite number"}},
  {"numbers: nan with a range", "simulate --time-tolerance nan", 2, {"--time-tolerance", "'nan' is not a finite number"}},
  {"numbers: past the type", "schedule --ranks 2147483648", 2, {"--ranks 2147483648 is out of range"}, {"Could not convert"}},
  {"numbers: past the type, with a range", "report --ranks 99999999999 --out {dir}/r", 2, {"--ranks", "2 to 4096"}},
  {"numbers: readable ranges", "topo import {src}/tests/sim/data/4090x4.txt --gpu-ce-alpha -1", 2,
   {"--gpu-ce-alpha", "from 0 to 1e+12"}, {"17976931348623157"}},
  {"numbers: what topo show refuses", "topo import {src}/tests/sim/data/4090x4.txt --gpu-link-gbps 1e308", 2,
   {"--gpu-link-gbps", "from 1e-09 to 1e+06"}},
  {"numbers: what topo show refuses", "topo import {src}/tests/sim/data/4090x4.txt --shm-flow-cap-gbps -1", 2, {"--shm-flow-cap-gbps"}},
  {"numbers: what topo show refuses", "topo import {src}/tests/sim/data/4090x4.txt --gpu-ce-alpha nan", 2, {"--gpu-ce-alpha", "'nan'"}},
  {"numbers: timeout past the clock", "run --ranks 4 --timeout 1e10", 2, {"--timeout", "from 0 to 1e+06"}},
  {"fuzz: a timeout too short to move a piece", "run --ranks 2 --heads 2 --seq 4 --timeout 1e-300", 2, {"at least 0.001"}},
  // ---- issue 21: the CLI fuzzer's finds (tests/cli/cli_fuzz_test.cpp) ----
  {"fuzz: past 64 bits", "run --seq 18446744073709551616", 2, {"--seq", "past the largest whole number"}, {"TB"}},
  {"fuzz: the option blamed", "run --image-tokens 18446744073709551615", 2, {"the padded sequence N x s", "past"},
   {"--seq (image tokens per rank)", "N x s = 0"}},
  {"fuzz: the option blamed", "simulate --mechanisms x", 2, {"--mechanisms: unknown mechanism 'x'"}},
  {"fuzz: ignored", "run --ranks 2 --heads 2 --seq 4 --nccl-id-file {dir}/id", 2, {"--nccl-id-file applies to --transport nccl only"}},
  {"fuzz: a hang", "run --ranks 2 --heads 2 --seq 4 --iterations 2147483648", 2, {"--iterations 2147483648 is more than 1000000"}},
  {"fuzz: a hang", "bench --ranks 2 -b 64 -e 64 -n 1 --no-layer --warmup 2147483648", 2, {"--warmup 2147483648 is more than 1000000"}},
  {"fuzz: the file named", "topo import {dir}", 2, {"file {dir} is a directory: give a file"}},
  {"inputs: a directory", "topo show {dir}", 2, {"topology {dir} is a directory: give a file"}, {"DOT syntax error"}},
  {"fuzz: the file named", "topo import {dir}/empty.txt", 2, {"{dir}/empty.txt: nvidia-smi topo -m"}},
  {"fuzz: the file named", "topo import ''", 2, {"the file is an empty path"}},
  // ---- issue 21: the remaining listed defects ----
  {"readers name the file", "verify -i {dir}/binary.bin", 2, {"{dir}/binary.bin: not valid JSON"}},
  {"readers name the file", "render timeline {dir}/keep.txt -o {dir}/t.svg", 2, {"{dir}/keep.txt: simulation document is not JSON"}},
  {"render topology: one box", "render topology {dir}/half.dot --load {src}/tests/viz/data/sim-4.json -o {dir}/t.svg", 2,
   {"has 24", "render with the topology the simulation ran on"}},
  {"render report: one run", "render report -o {dir} --ranks 8 --algo shift --simulation {src}/tests/viz/data/sim-4.json", 2,
   {"is round-robin on 4 ranks, the pictures shift on 8", "--ranks 4 --algo round-robin"}},
  {"simulate only what verify proves", "simulate -i {src}/docs/examples/mismatch.json", 2,
   {"mismatch.json fails verification", "verify -i"}, {"time_ms"}},
  {"simulate only what verify proves", "simulate -i {dir}/norounds.json --partial", 2, {"norounds.json moves nothing"}, {"0.000"}},
  {"simulate only what verify proves", "simulate -t 4090x4 -i {dir}/oneway.json", 2, {"oneway.json fails verification", "--partial"}},
  {"simulate: one way on purpose", "simulate -t 4090x4 -i {dir}/oneway.json --partial --transport shm,p2p --p2p", 0, {"p2p", "shm"}},
  {"simulate: --partial needs a file", "simulate --partial", 2, {"--partial applies with --input only"}},
  {"ignored: --json with the picture on stdout", "render pairings --ranks 4 --json -o - --format dot", 2,
   {"--json does not apply with -o -"}},
  {"ignored: --ce-reads", "simulate --sim-model fluid --ce-reads", 2, {"--ce-reads applies to --sim-model contention only"}},
  {"ignored: --ce-reads", "simulate --transport shm --ce-reads", 2, {"--ce-reads applies to --transport cuda-p2p only"}},
  {"topo import --name round-trips", "topo import {src}/tests/sim/data/4090x4.txt --name 'x\\y'", 2, {"--name", "must be letters"}},
  {"topo import: a byte-order mark", "topo import {dir}/bom.txt", 0, {"digraph topology", "gpu3"}},
  {"bench: the fix it names", "bench -e 16G --no-layer", 2, {"use a smaller -e/--maxbytes or --ranks"}, {"--text-tokens"}},
  {"report: the fix it names", "report --model hunyuanvideo-1.5 --ranks 2 -t 4090x4 --no-layer-check --out {dir}/r", 2,
   {"ulysses-a2a plan --model hunyuanvideo-1.5 --scope attention"}},
  // ---- your box, measured (issue 19) ----
  {"measurements: a study option", "simulate --measurements {src}/docs/validation/measurements/c16.json --algo shift", 2,
   {"--algo does not apply with --measurements"}},
  {"measurements: not a document", "simulate --measurements {dir}/keep.json", 2, {"keep.json", "unknown field 'sentinel'"}},
  {"measurements: GPUs the box lacks", "simulate --measurements {src}/docs/validation/measurements/c16.json --topology 4090x4",
   2, {"uses GPU", "box '4090x4' has GPUs 0 to 3"}},
  {"measurements: missing file", "simulate --measurements {dir}/none.json", 2, {"none.json"}},
  {"calibrate a box: no output", "calibrate --measurements {src}/docs/validation/measurements/c16.json", 2,
   {"-o FILE is required with --measurements"}},
  {"calibrate a box: output is the input", "calibrate --measurements {dir}/keep.json -o {dir}/keep.json", 2,
   {"is an input"}},
  {"calibrate a box: --topology alone", "calibrate --topology 4090x4", 2, {"--topology applies with --measurements only"}},
  {"calibrate a box: unwritable", "calibrate --measurements {src}/docs/validation/measurements/c16.json -o /nonexistent/f.dot",
   2, {"/nonexistent/f.dot"}},
  {"checked writes", "calibrate --json -o /nonexistent/dir/c.json", 2, {"/nonexistent/dir/c.json"}},
  {"plan: GPU names", "plan --gpu rtx9090", 2, {"unknown --gpu 'rtx9090'", "rtx4090"}},
  {"plan: more GPUs than the box", "plan --gpus 9", 2, {"--gpus 9", "has 8 GPUs"}},
  {"plan: scope names", "plan --scope day", 2, {"--scope", "attention,layer,step"}},
  {"plan: flash3 off Hopper", "plan --attention flash3", 2, {"--attention flash3", "rtx4090", "Hopper"}},
  {"plan: host time with an attention alone", "plan --seq 4096 --heads 24 --host-overhead-ms 2", 2,
   {"--host-overhead-ms", "--scope layer or step"}},
  {"numbers: negative host time", "plan --host-overhead-ms -1", 2, {"--host-overhead-ms"}},
  {"plan: a shape needs its heads", "plan --seq 1000", 2, {"--seq needs --heads"}},
  {"checked writes", "plan --picture /dev/full", 2, {"/dev/full"}},
  // ---- models and GPUs as data (issue 23, item 6) ----
  {"plan: a model file's unknown field", "plan --model-file {dir}/bad-model.json", 2,
   {"bad-model.json", "unknown field 'layer'", "docs/formats.md"}},
  {"plan: a diffusers class not known", "plan --model-file {dir}/sd3-config.json", 2,
   {"'SD3Transformer2DModel' is not known", "write a model file"}},
  {"plan: --model and --model-file", "plan --model flux.1-dev --model-file {dir}/bad-model.json", 2,
   {"--model and --model-file"}},
  {"plan: frames for an image model", "plan --model flux.1-dev --frames 81", 2, {"image model", "--frames 1"}},
  // --model-file in the other commands that take --model: the same reader, the same rules.
  {"simulate: a model file missing", "simulate --model-file {dir}/none.json", 2, {"--model-file", "none.json"}},
  {"simulate: a model file not JSON", "simulate --model-file {dir}/keep.txt", 2, {"keep.txt", "not JSON"}},
  {"simulate: a model file's unknown field", "simulate --model-file {dir}/bad-model.json", 2,
   {"bad-model.json", "unknown field 'layer'"}},
  {"simulate: --model and --model-file", "simulate --model wan2.1-14b --model-file {dir}/bad-model.json", 2,
   {"--model and --model-file", "use one"}},
  {"simulate: --model-file and --bytes", "simulate --model-file {dir}/bad-model.json --bytes 4096", 2,
   {"--bytes and --model-file", "use one"}},
  {"simulate: --model-file and --seq", "simulate --model-file {dir}/bad-model.json --seq 100", 2, {"--seq and --model-file"}},
  {"simulate: --model-file and -i", "simulate -i {src}/docs/examples/mismatch.json --model-file {dir}/bad-model.json", 2,
   {"--model-file does not apply with --input"}},
  {"simulate: frames for an image model's file", "simulate --model-file {src}/tests/plan/data/flux.1-dev.config.json "
   "--frames 81", 2, {"image model", "--frames 1"}},
  {"synthesize: a model file missing", "synthesize -t 4090x4 --model-file {dir}/none.json -o {dir}/keep.json", 2,
   {"--model-file", "none.json"}},
  {"synthesize: a model file not JSON", "synthesize -t 4090x4 --model-file {dir}/keep.txt -o {dir}/keep.json", 2,
   {"keep.txt", "not JSON"}},
  {"synthesize: --model and --model-file", "synthesize -t 4090x4 --model wan2.1-14b --model-file {dir}/bad-model.json "
   "-o {dir}/keep.json", 2, {"--model and --model-file"}},
  {"synthesize: --model-file and --bytes", "synthesize -t 4090x4 --model-file {dir}/bad-model.json --bytes 64 "
   "-o {dir}/keep.json", 2, {"--bytes and --model-file"}},
  {"report: a model file missing", "report --model-file {dir}/none.json --out {dir}", 2, {"--model-file", "none.json"}},
  {"report: a model file not JSON", "report --model-file {dir}/keep.txt --out {dir}", 2, {"keep.txt", "not JSON"}},
  {"report: --model and --model-file", "report --model wan2.1-14b --model-file {dir}/bad-model.json --out {dir}", 2,
   {"--model and --model-file"}},
  {"report --model lists the table", "report --help", 0, {"mochi-1", "flux.1-dev", "--model-file"}},
  {"run: names only", "run --model-file {dir}/bad-model.json", 2, {"--model-file", "by name only", "--image-tokens"}},
  {"bench: names only", "bench --model-file {dir}/bad-model.json --no-layer", 2, {"--model-file", "by name only"}},
  {"plan: a resolution off the token grid", "plan --model flux.1-dev --resolution 1000x1000", 2,
   {"multiples of 16"}},
  {"plan: a GPU file in the wrong unit", "plan --gpu-file {dir}/bad-gpu.json", 2, {"bad-gpu.json", "check its unit"}},
  {"plan: a GPU file's flash3 rate not a number", "plan --gpu-file {dir}/flash3-gpu.json", 2,
   {"flash3-gpu.json", "'flash3_attention_tflops' must be a number"}},
  {"plan: --host-overhead-ms with --validate", "plan --validate --host-overhead-ms 0", 2,
   {"--host-overhead-ms does not apply with --validate"}},
  {"plan: --gpu and --gpu-file", "plan --gpu rtx4090 --gpu-file {dir}/bad-gpu.json", 2, {"--gpu and --gpu-file"}},
  // ---- what the box runs and which GPUs (issue 23, items 1 and 2) ----
  {"plan: p2p on a stock-driver box", "plan --transports p2p", 2, {"transport p2p needs GPU peer-to-peer", "--p2p", "P2P-patched driver"}},
  {"plan: transport names", "plan --transports nccl", 2, {"unknown transport 'nccl'", "cuda-staged"}},
  {"plan: --transports all", "plan --transports all", 2, {"--transports all", "comma list"}},
  {"plan: a GPU past the box", "plan --gpus 0,1,9", 2, {"--gpus '0,1,9'", "GPU 9 is not on the box", "0..7"}},
  {"plan: a GPU twice", "plan --gpus 0,1,1,2", 2, {"GPU 1 appears twice"}},
  {"plan: not a GPU list", "plan --gpus 0,x", 2, {"'x' is not a GPU number", "e.g. 0,1,4,5"}},
  {"plan: no GPUs", "plan --gpus 0", 2, {"--gpus must be at least 1"}},
  {"plan: an empty list item", "plan --gpus 0,,1", 2, {"'' is not a GPU number"}},
  {"simulate: p2p on a stock-driver box", "simulate --algo grouped --transport cuda-p2p", 2, {"cuda-p2p needs GPU peer-to-peer", "--p2p"}},
  {"simulate: --p2p with measurements", "simulate --measurements {src}/docs/validation/measurements/c13.json --p2p", 2, {"--p2p does not apply with --measurements"}},
  {"DOT p2p mode", "simulate -t {dir}/p2p.dot --ranks 1", 2, {"p2p = 'maybe'", "use on", "off"}},
  {"topo import: p2p on and off", "topo import {src}/tests/sim/data/4090x4.txt --p2p --no-p2p -o {dir}/keep.txt", 2, {"--no-p2p"}},
  // ---- probe (issue 19): every option checked before anything runs ----
  {"probe: transport names", "probe --transport carrier -o {dir}/keep.json", 2, {"--transport: unknown transport 'carrier'", "cuda-p2p"}},
  {"probe: one box", "probe --transport network --dry-run", 2, {"--transport network: a probe measures one box"}},
  {"probe: backend names", "probe --backend mpi -o {dir}/keep.json", 2, {"--backend 'mpi'", "threads, cuda-peer, nccl"}},
  {"probe: what the backend moves", "probe --backend cuda-peer --transport shm -o {dir}/keep.json", 2,
   {"--transport shm: --backend cuda-peer moves cuda-p2p, cuda-staged, nvlink", "--backend nccl"}},
  {"probe: one NCCL transport", "probe --backend nccl --transport shm,p2p --dry-run", 2, {"probe one NCCL transport per run"}},
  {"probe: no route", "probe -t 4090x4 --transport nvlink --dry-run", 2, {"no nvlink path", "choose another --transport"}},
  {"probe: op names", "probe --op sideways --dry-run", 2, {"--op: unknown op 'sideways'", "write, read"}},
  {"probe: read needs copies", "probe --transport shm --op read --dry-run", 2, {"--op read", "cuda-p2p, cuda-staged"}},
  {"probe: bytes 0", "probe --bytes 0 -o {dir}/keep.json", 2, {"--bytes 0", "multiple of 4"}},
  {"probe: bytes in words", "probe --bytes 6 --dry-run", 2, {"--bytes 6", "multiple of 4"}},
  {"probe: bytes huge", "probe --bytes 8589934592 -o {dir}/keep.json", 2, {"--bytes 8589934592 is above", "67108864"}},
  {"probe: bytes negative", "probe --bytes -4 --dry-run", 2, {"--bytes", "'-4'"}},
  {"probe: iterations", "probe -n 0 -o {dir}/keep.json", 2, {"-n/--iters 0"}},
  {"probe: timeout", "probe --timeout 0 --dry-run", 2, {"--timeout must be more than 0"}},
  {"probe: an output", "probe", 2, {"give -o FILE", "--dry-run"}},
  {"probe: output checked first", "probe -o {dir}/no/such/dir/m.json", 2, {"directory '{dir}/no/such/dir' does not exist"}},
  {"probe: checked write", "probe -t 4090x4 --bytes 256 -n 1 -w 0 -o /dev/full", 2, {"failed writing '/dev/full'"}},
  {"probe: a box of one GPU", "probe -t {dir}/one.dot -o {dir}/keep.json", 2, {"at least 2 GPUs", "topo import"}},
  {"probe: unknown box", "probe -t 4090x9 --dry-run", 2, {"unknown topology '4090x9'"}},
  {"probe: cannot apply", "probe --share-gpus --dry-run", 2, {"--share-gpus applies to --backend cuda-peer"}},
  {"probe: cannot apply", "probe --json -o {dir}/keep.json", 2, {"--json applies to --dry-run"}},
  {"probe: dry run", "probe --dry-run -t 4090x4 -o {dir}/keep.json", 0, {"23 patterns", "writes {dir}/keep.json"}},
  // ---- render calibration (issue 19, item 7) ----
  {"calibration: missing input", "render calibration -i {dir}/none.json -o {dir}/keep.svg", 2, {"none.json"}},
  {"calibration: not a calibration document", "render calibration -i {dir}/keep.json -o {dir}/c.svg", 2,
   {"{dir}/keep.json: format: missing", "calibrate --measurements"}},
  {"calibration: another document", "render calibration -i {src}/tests/viz/data/sim-4.json -o {dir}/c.svg", 2,
   {"format: is 'ulysses-a2a/simulation'", "ulysses-a2a/box-calibration", "ulysses-a2a/prediction"}},
  {"calibration: output is the input", "render calibration -i {dir}/keep.json -o {dir}/keep.json --format svg", 2,
   {"-o/--output {dir}/keep.json is an input (-i/--input)"}},
  {"calibration: output not writable", "render calibration -i {src}/tests/fuzz/corpus/calibration_json/c13-prediction.json -o /dev/full --format svg", 2,
   {"failed writing '/dev/full'"}},
  {"calibration: output not writable", "render calibration -i {src}/tests/fuzz/corpus/calibration_json/c13-prediction.json -o {dir}/no/such/c.svg", 2,
   {"directory '{dir}/no/such' does not exist"}},
  {"calibration: no DOT form", "render calibration -i {src}/tests/fuzz/corpus/calibration_json/c13-box-calibration.json -o {dir}/c.dot", 2,
   {"no DOT form", "svg, png or pdf"}},
  {"calibration: a directory", "render calibration -i {dir} -o {dir}/c.svg", 2, {"{dir}"}},
  // ---- measure import (issue 19): what the importers refuse; the output checked before any input is read ----
  {"measure: unknown text", "measure import {dir}/keep.txt --box 4090x4 -o {dir}/keep.json", 2,
   {"keep.txt: is not an output this importer knows", "nccl-tests", "p2pBandwidthLatencyTest", "nvbandwidth"}},
  {"measure: empty file", "measure import {dir}/empty.txt --box 4090x4 -o {dir}/m.json", 2, {"empty.txt: is empty"}},
  {"measure: binary file", "measure import {dir}/binary.bin --box 4090x4 -o {dir}/m.json", 2, {"binary.bin: is not text"}},
  {"measure: GPUs beyond the box", "measure import {src}/tests/sim/data/measure/p2p_6x4090_nccl814.txt --box 4090x4 -o {dir}/m.json", 2,
   {"it measured GPU 4 but box '4090x4' has GPUs 0 to 3", "--box"}},
  {"measure: NCCL's transport unknown", "measure import {src}/tests/sim/data/measure/nccl_all_reduce_4x4090.txt --box 4090x4 -o {dir}/m.json", 2,
   {"no NCCL_DEBUG=INFO lines", "--transport shm"}},
  {"measure: transport names", "measure import {src}/tests/sim/data/measure/nccl_all_reduce_4x4090.txt --box 4090x4 --transport cuda-p2p -o {dir}/m.json", 2,
   {"--transport cuda-p2p is not one of NCCL's transports"}},
  {"measure: an option that cannot apply", "measure import {src}/tests/sim/data/measure/p2p_6x4090_nccl814.txt --box 4090x8-2s-sw --transport shm -o {dir}/m.json", 2,
   {"--transport shm applies to nccl-tests outputs", "none of the files needs it"}},
  {"measure: one box at a time", "measure import {src}/tests/sim/data/measure/nccl_all_reduce_2hosts_16xh100.txt --box h100x8-nvs --transport nvlink -o {dir}/m.json", 2,
   {"line 12: the ranks ran on 2 hosts"}},
  {"measure: duplicate ranks", "measure import {src}/tests/sim/data/measure/nccl_all_to_all_duplicate_ranks.txt --box 4090x4 --transport shm -o {dir}/m.json", 2,
   {"line 38: rank 0 is listed twice", "MPI=1"}},
  {"measure: nothing to import", "measure import {src}/tests/sim/data/measure/nvbandwidth_waived_2x2080ti.txt --box 4090x4 -o {dir}/m.json", 2,
   {"nothing to import", "waived"}},
  {"measure: no clobbered input", "measure import {dir}/keep.txt --box 4090x4 -o {dir}/keep.txt", 2, {"-o/--output {dir}/keep.txt is an input (files)"}},
  {"measure: checked writes first", "measure import {dir}/missing.txt --box 4090x4 -o /nonexistent/dir/m.json", 2,
   {"/nonexistent/dir/m.json"}, {"missing.txt"}},
  {"measure: unreadable input", "measure import {dir}/missing.txt --box 4090x4 -o {dir}/m.json", 2, {"cannot read", "missing.txt"}},
  {"measure: a file twice", "measure import {dir}/keep.txt {dir}/./keep.txt --box 4090x4 -o {dir}/m.json", 2, {"is given twice"}},
  {"measure: box names", "measure import {dir}/keep.txt --box 4090x5 -o {dir}/m.json", 2, {"unknown topology '4090x5'", "4090x4"}},
  {"measure: the box is required", "measure import {dir}/keep.txt -o {dir}/m.json", 2, {"--box is required"}},
  {"unknown command", "measure imprt", 2, {"unknown command 'measure imprt'", "import"}},
  {"missing command", "measure", 2, {"'ulysses-a2a measure' needs a command: import"}},
  // ---- synthesize (issue 22): every option checked before the search; no input clobbered ----
  {"synthesize: p2p on a stock-driver box", "synthesize -t 4090x4 --transport cuda-p2p -o {dir}/s.json", 2,
   {"cuda-p2p needs GPU peer-to-peer", "--p2p"}},
  {"synthesize: an output", "synthesize -t 4090x4", 2, {"--output is required"}},
  {"synthesize: output is stdout", "synthesize -t 4090x4 -o -", 2, {"-o needs a file"}},
  {"synthesize: output is the box", "synthesize -t {dir}/exp.dot -o {dir}/exp.dot", 2, {"{dir}/exp.dot is an input (-t/--topology)"}},
  {"synthesize: two outputs, one file", "synthesize -t 4090x4 -o {dir}/keep.json --json-out {dir}/keep.json", 2,
   {"-o/--output and --json-out both name {dir}/keep.json"}},
  {"synthesize: output checked first", "synthesize -t 4090x4 -o {dir}/no/such/s.json", 2, {"directory '{dir}/no/such' does not exist"}},
  {"synthesize: checked write", "synthesize -t 4090x4 --bytes 64 --budget 0.05 -o /dev/full", 2, {"failed writing '/dev/full'"}},
  {"synthesize: bytes 0", "synthesize -t 4090x4 --bytes 0 -o {dir}/s.json", 2, {"--bytes 0 moves nothing"}},
  {"synthesize: two sizes", "synthesize -t 4090x4 --bytes 64 --model wan2.1-14b -o {dir}/s.json", 2, {"--bytes and --model", "use one"}},
  {"synthesize: cannot apply", "synthesize -t 4090x4 --bytes 64 --resolution 720p -o {dir}/s.json", 2, {"--resolution applies to --model only"}},
  {"synthesize: cannot apply", "synthesize -t 4090x4 --bytes 64 --dtype fp8 -o {dir}/s.json", 2, {"--dtype applies to a --model shape only"}},
  {"synthesize: budget", "synthesize -t 4090x4 --budget 0 -o {dir}/s.json", 2, {"--budget", "from 0.001 to 3600"}},
  {"synthesize: margin", "synthesize -t 4090x4 --robust-margin 2 -o {dir}/s.json", 2, {"--robust-margin", "from 0 to 1"}},
  // Found by the CLI fuzzer after the merge of synthesize and plan --transports:
  {"plan: --transports names itself", "plan --transports x", 2, {"--transports x", "unknown transport 'x'"}},
  {"plan: --transports empty item", "plan --transports ,", 2, {"--transports"}},
  {"synthesize: the margin is said", "synthesize -t 4090x4 --bytes 4096 --budget 0.05 --robust-margin 0 -o /dev/null", 0,
   {"within 0 % of the fastest"}},
  {"synthesize: --p2p on a box with P2P", "synthesize -t h100x8-nvs --p2p -o {dir}/s.json", 2,
   {"--p2p: box 'h100x8-nvs' has GPU peer-to-peer already", "drop --p2p"}},
  {"simulate: --p2p on a box with P2P", "simulate -t h100x8-nvs --p2p", 2, {"--p2p: box 'h100x8-nvs'"}},
  {"plan: --p2p on a box with P2P", "plan -t h100x8-nvs --p2p", 2, {"--p2p: box 'h100x8-nvs'"}},
  {"report: --p2p on a box with P2P", "report -t h100x8-nvs --p2p -o {dir}/out", 2, {"--p2p: box 'h100x8-nvs'"}},
  {"synthesize: budget nan", "synthesize -t 4090x4 --budget nan -o {dir}/s.json", 2, {"--budget", "not a finite number"}},
  {"synthesize: output is the box", "synthesize -t {dir}/keep.txt -o {dir}/keep.txt", 2, {"is an input"}},
  {"synthesize: more ranks than GPUs", "synthesize -t 4090x4 --ranks 8 -o {dir}/s.json", 2, {"--ranks 8 needs 8 GPUs", "has 4"}},
  {"synthesize: one rank", "synthesize -t 4090x4 --ranks 1 -o {dir}/s.json", 2, {"--ranks 1", "at least 2 ranks"}},
  {"synthesize: no route", "synthesize -t 4090x4 --transport nvlink -o {dir}/s.json", 2, {"nvlink"}},
  {"synthesize: transport names", "synthesize -t 4090x4 --transport carrier -o {dir}/s.json", 2, {"carrier"}},
  {"synthesize: heads and ranks", "synthesize -t 4090x8-2s --ranks 6 -o {dir}/s.json", 2, {"not divisible"}},
  {"synthesize: box names", "synthesize -t 4090x9 -o {dir}/s.json", 2, {"unknown topology '4090x9'"}},
  {"render -i: output is the input", "render rounds -i {src}/tests/fuzz/corpus/schedule_json/synth3.json -o {src}/tests/fuzz/corpus/schedule_json/synth3.json --format svg", 2,
   {"is an input (-i/--input)", "write elsewhere"}},
  {"render -i: not a schedule", "render pairings -i {dir}/keep.json -o {dir}/p.svg", 2, {"unknown field"}},
  {"report --synthesize: budget", "report --synthesize 0 -o {dir}/out", 2, {"--synthesize 0", "(0, 3600]"}},
  // ---- run -i (issue 22): a schedule file's order ----
  {"run -i: not a schedule", "run -i {dir}/keep.json", 2, {"{dir}/keep.json", "format"}},
  {"run -i: two schedules", "run -i {src}/tests/fuzz/corpus/schedule_json/synth3.json --algo shift", 2, {"--algo and --input", "use one"}},
  {"run -i: ranks differ", "run -i {src}/tests/fuzz/corpus/schedule_json/synth3.json --ranks 4", 2,
   {"--ranks 4 differs from the 3 ranks", "drop --ranks"}},
  {"run -i: missing file", "run -i {dir}/none.json", 2, {"none.json"}},
  // ---- issue 21, third round: list items CLI11's delimiter dropped, the sequence blamed ----
  {"list items: bench", "bench --ranks 4 --algo round-robin,,grouped --no-layer -b 64 -e 64 -n 1 -w 0", 2,
   {"--algo", "has an empty item"}},
  {"list items: bench", "bench --ranks 4 --discipline grouped,grouped --no-layer -b 64 -e 64 -n 1 -w 0", 2,
   {"--discipline", "names 'grouped' twice"}},
  {"list items: bench", "bench --ranks 4 --algo grouped --algo grouped --no-layer -b 64 -e 64 -n 1 -w 0", 2,
   {"--algo", "names 'grouped' twice"}},
  {"list items: bench", "bench --ranks 4 --algo '' --no-layer -b 64 -e 64 -n 1 -w 0", 2, {"--algo", "is empty"}},
  {"list items: probe", "probe --op write,,read --dry-run", 2, {"--op", "has an empty item"}},
  {"list items: probe", "probe --transport shm,shm --dry-run", 2, {"--transport", "names 'shm' twice"}},
  {"plan: sequence shorter than the GPUs", "plan --seq 7 --heads 40 --gpus 8", 2,
   {"sequence of 7 tokens is shorter than the 8 GPUs", "--gpus 7 or fewer"}, {"heads divide"}},
  {"NUL byte: DOT", "topo show {dir}/nul.dot", 2, {"capacity_gbps=\"2\\x004\" is not a number", "no unit"}},
  {"NUL byte: nvidia-smi", "topo import {dir}/nul.txt -o {dir}/n.dot", 2, {"'NO\\x00DE', which is not in the legend"}},
  // ---- exit codes ----
  {"exit 1: a deadlock", "run --discipline naive --ranks 2 --heads 2", 1, {"deadlock"}},
  {"exit 1: a deadlock", "verify --ranks 4 --algo shift --discipline naive", 1, {"deadlock-free: NO"}},
  {"unknown command", "foo", 2, {"unknown command 'foo'", "schedule, verify, simulate"}},
  {"unknown command", "render foo", 2, {"unknown command 'render foo'", "pairings, rounds, topology"}},
  {"unknown command", "topo lst", 2, {"unknown command 'topo lst'", "list, show, import"}},
  {"missing command", "", 2, {"needs a command: report, schedule, verify"}},
  {"missing command", "render", 2, {"'ulysses-a2a render' needs a command: pairings, rounds"}},
};
// clang-format on

std::string expand(std::string text, const fs::path& dir) {
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"{dir}", dir.string()}, {"{src}", UA2A_SOURCE_DIR}})
    for (std::size_t at; (at = text.find(key)) != std::string::npos;) text.replace(at, key.size(), value);
  return text;
}

/// Every file under `dir` with its contents.
std::map<std::string, std::string> snapshot(const fs::path& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    files[fs::relative(e.path(), dir).string()] = e.is_regular_file() ? ua2a::testing::read_text(e.path()) : "(dir)";
  return files;
}

}  // namespace

TEST(BadInput, EveryCaseExitsAsDocumentedAndChangesNothing) {
  const fs::path root = fs::temp_directory_path() / ("ua2a-bad-input-" + std::to_string(::getpid()));
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < kCases.size(); ++i) {
    const Case& c = kCases[i];
    const fs::path dir = root / std::to_string(i);
    fs::create_directories(dir);
    for (const auto& [name, text] : kFiles) std::ofstream(dir / name, std::ios::binary) << text;
    fs::create_directories(dir / "rep" / "timeline.svg");  // a folder where report writes a picture
    const auto before = snapshot(dir);
    const std::string args = expand(c.args, dir);
    SCOPED_TRACE("[" + c.item + "] ulysses-a2a " + args);
    const auto r = run_cli(args, kSeconds);
    EXPECT_EQ(r.exit_code, c.exit_code) << (r.exit_code == 124 ? "timed out: a hang\n" : "") << r.out;
    for (const std::string& word : c.words)
      EXPECT_NE(r.out.find(expand(word, dir)), std::string::npos) << "missing '" << word << "' in:\n" << r.out;
    for (const std::string& word : c.absent)
      EXPECT_EQ(r.out.find(word), std::string::npos) << "unexpected '" << word << "' in:\n" << r.out;
    EXPECT_EQ(snapshot(dir), before) << "a file in the case's folder was changed, removed or added";
  }
  fs::remove_all(root);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("bad-input suite: %zu cases in %.1f s\n", kCases.size(), seconds);
}

// The table's runner sends stdout to a file; this is the one case where stdout itself is full.
TEST(BadInput, FullStdoutExitsTwo) {
  const std::string command = std::string(UA2A_CLI) + " schedule --ranks 2 >/dev/full 2>/dev/null";
  const int status = std::system(command.c_str());
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 2);
}
