# SPDX-License-Identifier: MIT
# The consensus layer (Mcoin ledger): sources and Check suites, included from the top CMakeLists.
# Test names map to tests/test_<name>.c. The libFuzzer target tests/fuzz_decode.c is built only
# with clang and -DPOPI_FUZZ=ON (see the comment at the top of that file); its corpus
# tests/fuzz_corpus/ is replayed by the fuzz_corpus suite in every build.
set(POPI_CONSENSUS_SOURCES
  consensus/crypto.c
  consensus/tx.c
  consensus/merkle.c
  consensus/block.c
  consensus/validate.c
  consensus/utxoset.c
  consensus/store.c
  consensus/mempool.c
  consensus/chain.c
  consensus/chainfile.c
  consensus/detect.c
  consensus/wallet.c
  consensus/sigcache.c
  consensus/engine.c
  consensus/pow.c
  consensus/node.c
)
set(POPI_CONSENSUS_TESTS crypto ledger validate fuzz_corpus store chain detect pow p2p sigcache)

option(POPI_FUZZ "Build the libFuzzer target fuzz_decode (needs clang)" OFF)
if(POPI_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "POPI_FUZZ needs clang (-fsanitize=fuzzer)")
  endif()
  add_executable(fuzz_decode tests/fuzz_decode.c sim/common.c sim/rng.c ${POPI_CONSENSUS_SOURCES})
  target_include_directories(fuzz_decode PRIVATE include)
  target_compile_options(fuzz_decode PRIVATE -g -fsanitize=fuzzer,address,undefined)
  target_link_options(fuzz_decode PRIVATE -fsanitize=fuzzer,address,undefined)
  target_link_libraries(fuzz_decode PRIVATE PkgConfig::POPI_DEPS m)
endif()

# Memory per block, transaction and node (docs/ARCHITECTURE.md, "Ledger memory"); not built by
# default and not a test: cmake --build build --target bench_ledger_memory.
# (This file is included before POPI_WARNINGS is set, hence the flags spelled out.)
add_executable(bench_ledger_memory EXCLUDE_FROM_ALL bench/ledger_memory.c)
target_compile_options(bench_ledger_memory PRIVATE
  -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes -Wno-sign-conversion)
target_link_libraries(bench_ledger_memory PRIVATE popi_core)

# Validation throughput (transactions and blocks per second, signatures, the detector; median of
# 3 runs; bench/README.md): cmake --build build --target bench_ledger_throughput.
add_executable(bench_ledger_throughput EXCLUDE_FROM_ALL bench/ledger_throughput.c)
target_compile_options(bench_ledger_throughput PRIVATE
  -Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes -Wno-sign-conversion)
target_link_libraries(bench_ledger_throughput PRIVATE popi_core)
