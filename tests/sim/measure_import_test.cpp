// The importers of measure import: concrete figures read by eye from public outputs
// (tests/sim/data/measure/, sources in its README), the flows each figure stands for, and bad
// inputs refused with a message naming the file, the line and the fix.
#include "sim/measure_import.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "tests/support.h"

using namespace ua2a;

namespace {

std::string fixture(const std::string& name) {
  const std::string text = ua2a::testing::read_source("tests/sim/data/measure/" + name);
  EXPECT_FALSE(text.empty()) << name;
  return text;
}

ImportOptions with_transport(TransportKind t) {
  ImportOptions o;
  o.transport = t;
  return o;
}

/// The message of the MeasurementError importing `text` throws ("" when it imports).
std::string refusal(const std::string& text, const ImportOptions& options = with_transport(TransportKind::shm),
                    const std::string& origin = "dir/out.txt") {
  try {
    import_measurements(text, origin, options);
  } catch (const MeasurementError& e) {
    return e.what();
  }
  return "";
}

const MeasurementPoint& named(const ImportResult& r, const std::string& name) {
  const auto it =
      std::find_if(r.points.begin(), r.points.end(), [&](const MeasurementPoint& p) { return p.name == name; });
  if (it == r.points.end()) {
    ADD_FAILURE() << "no point '" << name << "'";
    static const MeasurementPoint none;
    return none;
  }
  return *it;
}

bool has_note(const ImportResult& r, const std::string& part) {
  return std::any_of(r.notes.begin(), r.notes.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

std::string replace(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? text : text.replace(at, from.size(), to);
}

/// The first `n` lines of `text`.
std::string head(const std::string& text, std::size_t n) {
  std::size_t at = 0;
  for (std::size_t i = 0; i < n && at != std::string::npos; ++i) at = text.find('\n', at) + 1;
  return text.substr(0, at);
}

}  // namespace

// ---------------------------------------------------------------- detection

TEST(MeasureImport, DetectsEachToolFromItsText) {
  EXPECT_EQ(detect_measure_tool(fixture("nccl_all_reduce_4x4090.txt"), "a"), MeasureTool::nccl_tests);
  EXPECT_EQ(detect_measure_tool(fixture("nccl_sendrecv_2x1080.txt"), "a"), MeasureTool::nccl_tests);
  EXPECT_EQ(detect_measure_tool(fixture("p2p_6x4090_nccl814.txt"), "a"), MeasureTool::p2p_bandwidth_latency_test);
  EXPECT_EQ(detect_measure_tool(fixture("nvbandwidth_readme_8gpu.txt"), "a"), MeasureTool::nvbandwidth);
  EXPECT_EQ(detect_measure_tool(fixture("nvbandwidth_read_ce_6xa6000.txt"), "a"), MeasureTool::nvbandwidth);
}

TEST(MeasureImport, RefusesWhatIsNoToolsOutput) {
  const std::string unknown = refusal("hello\nworld\n");
  EXPECT_NE(unknown.find("dir/out.txt: is not an output this importer knows"), std::string::npos) << unknown;
  for (const char* format : {"nccl-tests", "p2pBandwidthLatencyTest", "nvbandwidth"})
    EXPECT_NE(unknown.find(format), std::string::npos) << format;
  EXPECT_NE(refusal("").find("dir/out.txt: is empty"), std::string::npos);
  EXPECT_NE(refusal(" \n\t\n").find("is empty"), std::string::npos);
  EXPECT_NE(refusal(std::string("\x7f"
                                "ELF\x02\x01\x01\0\0\0",
                                10))
                .find("is not text"),
            std::string::npos);
  std::string noisy(4000, 'a');
  for (std::size_t i = 0; i < noisy.size(); i += 10) noisy[i] = '\x01';
  EXPECT_NE(refusal(noisy).find("is not text (binary data)"), std::string::npos);
  const std::string both = refusal(fixture("nccl_all_reduce_4x4090.txt") + fixture("p2p_6x4090_nccl814.txt"));
  EXPECT_NE(both.find("holds the outputs of several tools"), std::string::npos) << both;
}

// ---------------------------------------------------------------- nccl-tests

TEST(MeasureImportNccl, AllReduceOf4x4090IsItsRingWithBusbw) {
  const ImportResult r = import_measurements(fixture("nccl_all_reduce_4x4090.txt"), "data/nccl_all_reduce_4x4090.txt",
                                             with_transport(TransportKind::shm));
  EXPECT_EQ(r.tool, MeasureTool::nccl_tests);
  EXPECT_TRUE(r.used_transport_option);
  // Sizes 1 MiB to 2 GiB: 12 rows; the 17 below 1 MiB are skipped.
  ASSERT_EQ(r.points.size(), 12u);
  EXPECT_TRUE(has_note(r, "17 rows below 1 MiB skipped"));
  // Line 29: 1048576  262144  float  sum  -1  642.4  1.63  2.45 ...
  const MeasurementPoint& p = named(r, "nccl_all_reduce_4x4090.txt: all_reduce, 4 GPUs, 1048576 B float");
  EXPECT_DOUBLE_EQ(p.gbps, 2.45);
  EXPECT_EQ(p.metric, MeasureMetric::busbw);
  EXPECT_EQ(p.transport, TransportKind::shm);
  EXPECT_EQ(p.op, MeasureOp::write);
  EXPECT_EQ(p.collective, "all_reduce");
  EXPECT_EQ(p.size_bytes, 1048576u);
  EXPECT_EQ(p.bytes, 1572864u);  // 2 (4 - 1) / 4 x 1 MiB
  EXPECT_EQ(p.flows, (std::vector<Flow>{{0, 1}, {1, 2}, {2, 3}, {3, 0}}));
  EXPECT_NE(p.source.find("line 29"), std::string::npos) << p.source;
  // Line 40: 2147483648 ... 1.72 2.59
  EXPECT_DOUBLE_EQ(named(r, "nccl_all_reduce_4x4090.txt: all_reduce, 4 GPUs, 2147483648 B float").gbps, 2.59);
  EXPECT_TRUE(has_note(r, "ring in rank order"));
}

TEST(MeasureImportNccl, AllSizesTakesSmallRowsButNotUnreadableOnes) {
  ImportOptions o = with_transport(TransportKind::shm);
  o.all_sizes = true;
  const ImportResult r = import_measurements(fixture("nccl_all_reduce_4x4090.txt"), "x.txt", o);
  // 29 rows; sizes 8 to 64 print busbw 0.00 and cannot be a figure.
  EXPECT_EQ(r.points.size(), 25u);
  EXPECT_TRUE(has_note(r, "4 rows skipped: size 0 or busbw printed as 0.00"));
  const MeasurementPoint& p = named(r, "x.txt: all_reduce, 4 GPUs, 128 B float");
  EXPECT_DOUBLE_EQ(p.gbps, 0.01);
  EXPECT_EQ(p.bytes, 192u);
}

TEST(MeasureImportNccl, AllToAllOf4xH100IsEveryOrderedPair) {
  const ImportResult r =
      import_measurements(fixture("nccl_all_to_all_4xh100.txt"), "a2a.txt", with_transport(TransportKind::nvlink));
  ASSERT_EQ(r.points.size(), 1u);
  const MeasurementPoint& p = r.points[0];
  EXPECT_EQ(p.name, "a2a.txt: all_to_all, 4 GPUs, 524288000 B float");
  EXPECT_DOUBLE_EQ(p.gbps, 334.90);
  EXPECT_EQ(p.bytes, 131072000u);  // 524288000 / 4 per peer
  EXPECT_EQ(p.transport, TransportKind::nvlink);
  EXPECT_EQ(p.flows.size(), 12u);
  for (std::int32_t a = 0; a < 4; ++a)
    for (std::int32_t b = 0; b < 4; ++b)
      if (a != b) {
        EXPECT_NE(std::find(p.flows.begin(), p.flows.end(), Flow{a, b}), p.flows.end()) << a << "->" << b;
      }
}

TEST(MeasureImportNccl, SendrecvOfTheOldFormatIsTheRingOfSends) {
  const ImportResult r =
      import_measurements(fixture("nccl_sendrecv_2x1080.txt"), "sr.txt", with_transport(TransportKind::p2p));
  ASSERT_EQ(r.points.size(), 1u);
  const MeasurementPoint& p = r.points[0];
  EXPECT_EQ(p.name, "sr.txt: sendrecv, 2 GPUs, 37748736 B uint8");
  EXPECT_DOUBLE_EQ(p.gbps, 5.82);
  EXPECT_EQ(p.bytes, 37748736u);
  EXPECT_EQ(p.flows, (std::vector<Flow>{{0, 1}, {1, 0}}));
  EXPECT_EQ(p.collective, "sendrecv");
}

TEST(MeasureImportNccl, TheTransportComesFromDebugLinesOrTheOption) {
  const std::string ar = fixture("nccl_all_reduce_4x4090.txt");
  const std::string none = refusal(ar, {});
  EXPECT_NE(none.find("has no NCCL_DEBUG=INFO lines"), std::string::npos) << none;
  EXPECT_NE(none.find("--transport"), std::string::npos);
  // NCCL_DEBUG lines in the forms NCCL prints (nccl issues #398 and #1773).
  std::string p2p;
  for (int r = 0; r < 4; ++r)
    p2p += "host:1:2 [" + std::to_string(r) + "] NCCL INFO Channel 00/0 : " + std::to_string(r) + "[" +
           std::to_string(r) + "] -> " + std::to_string((r + 1) % 4) + "[" + std::to_string((r + 1) % 4) +
           "] via P2P/direct pointer\n";
  ImportResult r = import_measurements(p2p + ar, "x.txt", {});
  EXPECT_EQ(r.points[0].transport, TransportKind::p2p);
  EXPECT_FALSE(r.used_transport_option);
  r = import_measurements(p2p + ar, "x.txt", with_transport(TransportKind::nvlink));
  EXPECT_EQ(r.points[0].transport, TransportKind::nvlink);
  EXPECT_TRUE(r.used_transport_option);
  const std::string conflict = refusal(p2p + ar, with_transport(TransportKind::shm));
  EXPECT_NE(conflict.find("the NCCL_DEBUG lines say p2p but --transport says shm"), std::string::npos) << conflict;
  const std::string mixed =
      refusal(p2p + "host:1:2 [0] NCCL INFO Ring 01 : 3[3] -> 0[0] via SHM/direct/direct\n" + ar, {});
  EXPECT_NE(mixed.find("NCCL used several transports"), std::string::npos) << mixed;
  EXPECT_NE(mixed.find("SHM between ranks 3->0"), std::string::npos) << mixed;
  EXPECT_NE(mixed.find("P2P between ranks 0->1, 1->2, 2->3"), std::string::npos) << mixed;
  EXPECT_NE(refusal(ar, with_transport(TransportKind::cuda_p2p)).find("not one of NCCL's transports"),
            std::string::npos);
}

TEST(MeasureImportNccl, AllReduceFollowsNcclsRingWhenTheLogGivesIt) {
  const std::string rings =
      "h:1:1 [0] NCCL INFO Channel 00/02 :    0   2   1   3\n"
      "h:1:1 [0] NCCL INFO Channel 01/02 :    0   2   1   3\n";
  const ImportResult r =
      import_measurements(rings + fixture("nccl_all_reduce_4x4090.txt"), "x.txt", with_transport(TransportKind::shm));
  EXPECT_EQ(r.points[0].flows, (std::vector<Flow>{{0, 2}, {2, 1}, {1, 3}, {3, 0}}));
}

TEST(MeasureImportNccl, RefusesRunsOfSeveralHostsAndBrokenCommunicators) {
  const std::string hosts = refusal(fixture("nccl_all_reduce_2hosts_16xh100.txt"));
  EXPECT_NE(hosts.find("the ranks ran on 2 hosts (ztan-mig-235z, ztan-mig-gq73)"), std::string::npos) << hosts;
  EXPECT_NE(hosts.find("one box at a time"), std::string::npos);
  const std::string dup = refusal(fixture("nccl_all_to_all_duplicate_ranks.txt"));
  EXPECT_NE(dup.find("line 38: rank 0 is listed twice"), std::string::npos) << dup;
  EXPECT_NE(dup.find("MPI=1"), std::string::npos) << dup;
}

TEST(MeasureImportNccl, RefusesCutTablesAndFiguresThatAreNoFigures) {
  const std::string ar = fixture("nccl_all_reduce_4x4090.txt");
  const std::string row =
      "     1048576        262144     float     sum      -1    642.4    1.63    2.45      0    641.2    1.64    2.45   "
      "   0";
  const std::string cut =
      refusal(replace(ar, row, "     1048576        262144     float     sum      -1    642.4    1.63"));
  EXPECT_NE(cut.find("line 29: the row is cut before its out-of-place busbw"), std::string::npos) << cut;
  const std::string nan = refusal(replace(ar, row, replace(row, "2.45      0    641.2", "nan      0    641.2")));
  EXPECT_NE(nan.find("line 29: busbw 'nan' is not a number"), std::string::npos) << nan;
  const std::string neg = refusal(replace(ar, row, replace(row, "1.63", "-1.63")));
  EXPECT_NE(neg.find("line 29: algbw -1.63 is negative"), std::string::npos) << neg;
  EXPECT_NE(refusal(head(ar, 11)).find("its results table has no rows"), std::string::npos);
  EXPECT_NE(refusal(head(ar, 8)).find("has no results table"), std::string::npos);
  EXPECT_NE(refusal(ar.substr(ar.find("#       size"))).find("no '#  Rank R ... device D' lines"), std::string::npos);
}

TEST(MeasureImportNccl, RefusesDevicesAndRanksThatDoNotFormOneRun) {
  const std::string ar = fixture("nccl_all_reduce_4x4090.txt");
  const std::string same_device = refusal(replace(ar, "device  1 [0x1b]", "device  0 [0x1b]"));
  EXPECT_NE(same_device.find("ranks 0 and 1 both ran on device 0"), std::string::npos) << same_device;
  const std::string gap = refusal(replace(ar, "#  Rank  1 Group", "#  Rank  7 Group"));
  EXPECT_NE(gap.find("rank 1 is missing"), std::string::npos) << gap;
  const std::string second = refusal(ar + "# Using devices\n");
  EXPECT_NE(second.find("a second nccl-tests run starts here"), std::string::npos) << second;
}

TEST(MeasureImportNccl, NamesTheBinaryOrRefusesWhatItCannotTell) {
  const std::string a2a = fixture("nccl_all_to_all_4xh100.txt");
  const std::string gather =
      refusal(replace(a2a, "Collective test starting: alltoall_perf", "Collective test starting: all_gather_perf"));
  EXPECT_NE(gather.find("all_gather_perf, which is not imported"), std::string::npos) << gather;
  // The all_to_all table without any name: (n-1)/n could be all_gather too.
  const std::string unnamed = a2a.substr(a2a.find("# nThread"));  // without the command and the name
  const std::string why = refusal(unnamed);
  EXPECT_NE(why.find("does not say which nccl-tests binary printed it"), std::string::npos) << why;
  // Named sendrecv_perf, but the table is all_to_all's.
  const std::string wrong = refusal("./build/sendrecv_perf -g 4\n" + unnamed);
  EXPECT_NE(wrong.find("busbw is not 1.000 x algbw, as sendrecv_perf with 4 ranks prints"), std::string::npos) << wrong;
}

// ---------------------------------------------------------------- p2pBandwidthLatencyTest

TEST(MeasureImportP2p, UnidirectionalMatricesOf6x4090BothModesAndReads) {
  const ImportResult r = import_measurements(fixture("p2p_6x4090_nccl814.txt"), "p2p.txt");
  EXPECT_EQ(r.tool, MeasureTool::p2p_bandwidth_latency_test);
  ASSERT_EQ(r.points.size(), 90u);  // three matrices x 6 x 5 cells
  const MeasurementPoint& off = named(r, "p2p.txt: P2P off, GPU 0 -> GPU 1");
  EXPECT_DOUBLE_EQ(off.gbps, 20.10);
  EXPECT_EQ(off.transport, TransportKind::cuda_staged);
  EXPECT_EQ(off.flows, (std::vector<Flow>{{0, 1}}));
  EXPECT_EQ(off.metric, MeasureMetric::total);
  EXPECT_EQ(off.bytes, 800000000u);
  const MeasurementPoint& on = named(r, "p2p.txt: P2P on (writes), GPU 2 -> GPU 0");
  EXPECT_DOUBLE_EQ(on.gbps, 10.01);
  EXPECT_EQ(on.transport, TransportKind::cuda_p2p);
  EXPECT_EQ(on.op, MeasureOp::write);
  const MeasurementPoint& read = named(r, "p2p.txt: P2P on (reads), GPU 3 <- GPU 2");  // line 23, column 2
  EXPECT_DOUBLE_EQ(read.gbps, 10.45);
  EXPECT_EQ(read.op, MeasureOp::read);
  EXPECT_EQ(read.flows, (std::vector<Flow>{{2, 3}}));
  EXPECT_NE(read.source.find("line 23"), std::string::npos) << read.source;
  EXPECT_TRUE(has_note(r, "every pair is taken as having peer access"));
}

TEST(MeasureImportP2p, BidirectionalCellsAreBothDirectionsAtOnce) {
  const ImportResult r = import_measurements(fixture("p2p_bidir_6x4090_tinygrad.txt"), "bi.txt");
  ASSERT_EQ(r.points.size(), 30u);
  const MeasurementPoint& p = named(r, "bi.txt: P2P on, GPU 0 <-> GPU 1 (cell 0,1)");
  EXPECT_DOUBLE_EQ(p.gbps, 50.11);
  EXPECT_EQ(p.flows, (std::vector<Flow>{{0, 1}, {1, 0}}));
  EXPECT_EQ(p.metric, MeasureMetric::total);
  EXPECT_DOUBLE_EQ(named(r, "bi.txt: P2P on, GPU 1 <-> GPU 0 (cell 1,0)").gbps, 50.19);
  EXPECT_DOUBLE_EQ(named(r, "bi.txt: P2P on, GPU 5 <-> GPU 4 (cell 5,4)").gbps, 51.21);
}

TEST(MeasureImportP2p, PairsWithoutPeerAccessAreNotP2pPoints) {
  std::string access;
  for (int a = 0; a < 6; ++a)
    for (int b = 0; b < 6; ++b)
      if (a != b)
        access += "Device=" + std::to_string(a) + (a / 3 == b / 3 ? " CAN" : " CANNOT") +
                  " Access Peer Device=" + std::to_string(b) + "\n";
  const ImportResult r = import_measurements(access + fixture("p2p_6x4090_nccl814.txt"), "p2p.txt");
  // P2P off: 30 cells; P2P on, writes and reads: the 12 pairs inside {0,1,2} and {3,4,5} each.
  EXPECT_EQ(r.points.size(), 30u + 12u + 12u);
  EXPECT_TRUE(has_note(r, "36 P2P=Enabled cells skipped"));
}

TEST(MeasureImportP2p, RefusesCutMatricesAndDisagreeingDevices) {
  const std::string p2p = fixture("p2p_6x4090_nccl814.txt");
  const std::string cut = refusal(head(p2p, 21));
  EXPECT_NE(
      cut.find(
          "line 22: 'Unidirectional P2P=Enabled Bandwidth (P2P Reads) Matrix (GB/s)' (line 18) has 2 of its 6 rows"),
      std::string::npos)
      << cut;
  const std::string short_row =
      refusal(replace(p2p, "     3  22.24  22.42  22.25 922.37  20.46  22.24", "     3  22.24  22.42"));
  EXPECT_NE(
      short_row.find("line 7: row 3 of 'Unidirectional P2P=Disabled Bandwidth Matrix (GB/s)' has 2 figures for 6 GPUs"),
      std::string::npos)
      << short_row;
  std::string devices;
  for (int d = 0; d < 4; ++d)
    devices += "Device: " + std::to_string(d) + ", NVIDIA GeForce RTX 4090, pciBusID: " + std::to_string(d + 1) +
               ", pciDeviceID: 0, pciDomainID:0\n";
  const std::string four = refusal(devices + p2p);
  EXPECT_NE(four.find("the output lists 4 devices but its matrices have 6 GPUs"), std::string::npos) << four;
  const std::string zero = refusal(replace(p2p, "  20.10  22.16", "   0.00  22.16"));
  EXPECT_NE(zero.find("row 0 column 1 is 0"), std::string::npos) << zero;
  const std::string nan = refusal(replace(p2p, "  20.10  22.16", "    nan  22.16"));
  EXPECT_NE(nan.find("line 4: cell (0, 1) 'nan' is not a number"), std::string::npos) << nan;
  const std::string twice = refusal(p2p + head(p2p, 9).substr(head(p2p, 1).size()));
  EXPECT_NE(twice.find("a second 'Unidirectional P2P=Disabled Bandwidth Matrix (GB/s)'"), std::string::npos) << twice;
}

// ---------------------------------------------------------------- nvbandwidth

TEST(MeasureImportNvbandwidth, WriteCeOf8GpusAndHostTestcasesSkipped) {
  const ImportResult r = import_measurements(fixture("nvbandwidth_readme_8gpu.txt"), "nvb.txt");
  EXPECT_EQ(r.tool, MeasureTool::nvbandwidth);
  ASSERT_EQ(r.points.size(), 56u);
  const MeasurementPoint& p = named(r, "nvb.txt: device_to_device_memcpy_write_ce, GPU 0 -> GPU 1");
  EXPECT_DOUBLE_EQ(p.gbps, 276.07);
  EXPECT_EQ(p.flows, (std::vector<Flow>{{0, 1}}));
  EXPECT_EQ(p.op, MeasureOp::write);
  EXPECT_EQ(p.transport, TransportKind::cuda_p2p);
  EXPECT_EQ(p.metric, MeasureMetric::total);
  EXPECT_EQ(p.bytes, std::uint64_t{512} * 1024 * 1024 * 16);
  EXPECT_DOUBLE_EQ(named(r, "nvb.txt: device_to_device_memcpy_write_ce, GPU 6 -> GPU 0").gbps, 274.89);
  EXPECT_TRUE(has_note(r, "host_to_device_memcpy_ce skipped: not between GPUs"));
  EXPECT_TRUE(has_note(r, "host_to_device_bidirectional_memcpy_ce skipped"));
  EXPECT_TRUE(has_note(r, "assumed: the output prints no version"));
}

TEST(MeasureImportNvbandwidth, ReadCeIsTheRowGpuPullingFromTheColumnGpu) {
  // The paste lost the 'Running' line; the SUM line names the testcase.
  const ImportResult r = import_measurements(fixture("nvbandwidth_read_ce_6xa6000.txt"), "a6000.txt");
  ASSERT_EQ(r.points.size(), 30u);
  const MeasurementPoint& p = named(r, "a6000.txt: device_to_device_memcpy_read_ce, GPU 0 <- GPU 3");
  EXPECT_DOUBLE_EQ(p.gbps, 21.95);
  EXPECT_EQ(p.op, MeasureOp::read);
  EXPECT_EQ(p.flows, (std::vector<Flow>{{3, 0}}));
  EXPECT_DOUBLE_EQ(named(r, "a6000.txt: device_to_device_memcpy_read_ce, GPU 5 <- GPU 1").gbps, 22.67);
  EXPECT_TRUE(has_note(r, "for v0.8"));
}

TEST(MeasureImportNvbandwidth, BidirectionalIsTheSlowerDirectionAndAllToOneIsEveryPeer) {
  // nvbandwidth v0.6+ text as its output.cpp prints it, 3 GPUs (the public outputs at hand run
  // these testcases on NVLink boxes whose files name no repository).
  const std::string text =
      "nvbandwidth Version: v0.8\n"
      "Device 0: GPU (00000000:01:00)\nDevice 1: GPU (00000000:02:00)\nDevice 2: GPU (00000000:03:00)\n\n"
      "Running device_to_device_bidirectional_memcpy_write_ce.\n"
      "memcpy CE GPU(row) <-> GPU(column) Write1 bandwidth (GB/s)\n"
      "           0         1         2\n 0       N/A     20.00     21.00\n 1     22.00       N/A     23.00\n"
      " 2     24.00     25.00       N/A\n\nSUM device_to_device_bidirectional_memcpy_write_ce_write1 1\n\n"
      "memcpy CE GPU(row) <-> GPU(column) Write2 bandwidth (GB/s)\n"
      "           0         1         2\n 0       N/A     19.00     22.00\n 1     21.00       N/A     23.50\n"
      " 2     24.50     24.00       N/A\n\nSUM device_to_device_bidirectional_memcpy_write_ce_write2 1\n\n"
      "memcpy CE GPU(row) <-> GPU(column) Total bandwidth (GB/s)\n"
      "           0         1         2\n 0       N/A     39.00     43.00\n 1     43.00       N/A     46.50\n"
      " 2     48.50     49.00       N/A\n\nSUM device_to_device_bidirectional_memcpy_write_ce_total 1\n\n"
      "Running all_to_one_read_ce.\nmemcpy CE GPU(row) -> GPU(column) bandwidth (GB/s)\n"
      "           0         1         2\n 0     40.00     41.00     42.00\n\nSUM all_to_one_read_ce 123\n\n"
      "Running device_to_device_memcpy_read_sm.\nmemcpy SM GPU(row) -> GPU(column) bandwidth (GB/s)\n"
      "           0         1         2\n 0       N/A     1.00     1.00\n 1     1.00       N/A     1.00\n"
      " 2     1.00     1.00       N/A\n\n";
  const ImportResult r = import_measurements(text, "t.txt");
  ASSERT_EQ(r.points.size(), 6u + 3u);
  const MeasurementPoint& bi = named(r, "t.txt: device_to_device_bidirectional_memcpy_write_ce, GPU 0 <-> GPU 1");
  EXPECT_DOUBLE_EQ(bi.gbps, 19.00);  // min(Write1 20.00, Write2 19.00)
  EXPECT_EQ(bi.metric, MeasureMetric::flow_min);
  EXPECT_EQ(bi.flows, (std::vector<Flow>{{1, 0}, {0, 1}}));
  EXPECT_DOUBLE_EQ(named(r, "t.txt: device_to_device_bidirectional_memcpy_write_ce, GPU 2 <-> GPU 1").gbps, 24.00);
  // all_to_one_read: the peers pull from GPU 1, the data flows out of it.
  const MeasurementPoint& one = named(r, "t.txt: all_to_one_read_ce, all GPUs and GPU 1");
  EXPECT_DOUBLE_EQ(one.gbps, 41.00);
  EXPECT_EQ(one.op, MeasureOp::read);
  EXPECT_EQ(one.flows, (std::vector<Flow>{{1, 0}, {1, 2}}));
  EXPECT_TRUE(has_note(r, "device_to_device_memcpy_read_sm skipped: the document has reads for copy engines only"));
}

TEST(MeasureImportNvbandwidth, RefusesWaivedRunsCutMatricesAndMixedFiles) {
  const std::string waived = refusal(fixture("nvbandwidth_waived_2x2080ti.txt"));
  EXPECT_NE(waived.find("nothing to import"), std::string::npos) << waived;
  EXPECT_NE(waived.find("device_to_device_memcpy_write_ce was waived"), std::string::npos) << waived;
  const std::string readme = fixture("nvbandwidth_readme_8gpu.txt");
  const std::string cut = refusal(head(readme, 9));
  EXPECT_NE(cut.find("has 6 rows for 8: the table was cut"), std::string::npos) << cut;
  const std::string a6000 = fixture("nvbandwidth_read_ce_6xa6000.txt");
  const std::string no_name = refusal(replace(a6000, "SUM device_to_device_memcpy_read_ce 715.53", ""));
  EXPECT_NE(no_name.find("a matrix without its 'Running TESTCASE.' line"), std::string::npos) << no_name;
  const std::string devices = refusal("Device 0: A\nDevice 1: B\n" + a6000);
  EXPECT_NE(devices.find("has 6 columns but the output lists 2 devices"), std::string::npos) << devices;
  const std::string nan = refusal(replace(a6000, "26.34     26.35     21.95", "26.34     -nan     21.95"));
  EXPECT_NE(nan.find("'-nan' is not a number"), std::string::npos) << nan;
}

// ---------------------------------------------------------------- the document

TEST(MeasureImport, EveryFixtureWritesAsADocumentThatReadsBack) {
  for (const char* name : {"nccl_all_reduce_4x4090.txt", "nccl_all_to_all_4xh100.txt", "nccl_sendrecv_2x1080.txt",
                           "p2p_6x4090_nccl814.txt", "p2p_bidir_6x4090_tinygrad.txt", "nvbandwidth_readme_8gpu.txt",
                           "nvbandwidth_read_ce_6xa6000.txt"}) {
    Measurements m;
    m.box = "4090x8-2s-sw";
    m.points = import_measurements(fixture(name), name, with_transport(TransportKind::p2p)).points;
    const Measurements back = read_measurements(measurements_json(m), "m.json");
    ASSERT_EQ(back.points.size(), m.points.size()) << name;
    EXPECT_EQ(measurements_json(back), measurements_json(m)) << name;
  }
}
