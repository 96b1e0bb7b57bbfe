// JSON and text I/O: round trips and errors that name the offending field.
#include <gtest/gtest.h>

#include "schedule/generators.h"
#include "schedule/io.h"
#include "schedule/printable.h"
#include "schedule/lower.h"
#include "schedule/payload.h"

using namespace ua2a;

namespace {

std::string error_of(const std::string& text) {
  try {
    schedule_from_json(text);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string programs_error_of(const std::string& text) {
  try {
    programs_from_json(text);
  } catch (const FormatError& e) {
    return e.what();
  }
  return "(no error)";
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto at = s.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  return at == std::string::npos ? s : s.replace(at, from.size(), to);
}

}  // namespace

TEST(Io, ScheduleJsonRoundTripsForEveryGenerator) {
  for (const auto& g : generators()) {
    const Schedule s = generate(g.name, 8, uniform_payload(1000, false, 2));
    EXPECT_EQ(schedule_from_json(schedule_to_json(s)), s) << g.name;
  }
  const Schedule odd = generate("round-robin", 7, ulysses_payload({10, 2, 64, DType::fp8}, true, 1));
  EXPECT_EQ(schedule_from_json(schedule_to_json(odd, -1)), odd);
}

// The text the writer gives (docs/formats.md: one transfer a line), written out by hand: the
// writer prints a round at a time rather than one tree of the document (issue 21: 4.1 GB for 2048
// ranks), and its text must stay the same.
TEST(Io, ScheduleJsonTextIsTheDocumentedLayout) {
  const Schedule s = round_robin(3, uniform_payload(8, true, 1));
  const std::string expected =
      "{\n \"format\": \"ulysses-a2a/schedule\",\n \"version\": 1,\n \"ranks\": 3,\n \"algo\": \"round-robin\",\n"
      " \"kind\": \"pairing\",\n \"payload\": {\n  \"chunks\": 1,\n  \"parts\": [\n   {\"name\":\"block\",\"bytes\":8}\n"
      "  ]\n },\n \"rounds\": [\n"
      "  {\n   \"pairs\": [[1,2]],\n   \"transfers\": [\n"
      "    {\"src\":1,\"dst\":2,\"part\":0,\"chunk\":0,\"bytes\":8},\n    {\"src\":2,\"dst\":1,\"part\":0,\"chunk\":0,\"bytes\":8}\n"
      "   ]\n  },\n"
      "  {\n   \"pairs\": [[0,2]],\n   \"transfers\": [\n"
      "    {\"src\":0,\"dst\":2,\"part\":0,\"chunk\":0,\"bytes\":8},\n    {\"src\":2,\"dst\":0,\"part\":0,\"chunk\":0,\"bytes\":8}\n"
      "   ]\n  },\n"
      "  {\n   \"pairs\": [[0,1]],\n   \"transfers\": [\n"
      "    {\"src\":0,\"dst\":1,\"part\":0,\"chunk\":0,\"bytes\":8},\n    {\"src\":1,\"dst\":0,\"part\":0,\"chunk\":0,\"bytes\":8}\n"
      "   ]\n  }\n ]\n}\n";
  EXPECT_EQ(schedule_to_json(s), expected);
  EXPECT_EQ(schedule_to_json(round_robin(2, uniform_payload(8, true, 1)), -1),
            "{\"format\":\"ulysses-a2a/schedule\",\"version\":1,\"ranks\":2,\"algo\":\"round-robin\",\"kind\":\"pairing\","
            "\"payload\":{\"chunks\":1,\"parts\":[{\"name\":\"block\",\"bytes\":8}]},\"rounds\":[{\"pairs\":[[0,1]],"
            "\"transfers\":[{\"src\":0,\"dst\":1,\"part\":0,\"chunk\":0,\"bytes\":8},"
            "{\"src\":1,\"dst\":0,\"part\":0,\"chunk\":0,\"bytes\":8}]}]}\n");
}

// What a file held reaches the message whole: a NUL ended what() there, ESC and CR garble a
// terminal; newlines and tabs stay, and escaping twice changes nothing.
TEST(Io, ErrorMessagesShowControlBytesEscaped) {
  const std::string raw = std::string("value 'a") + '\0' + "b\x1b[2J\r' line\n\tnext\x7f";
  EXPECT_EQ(printable(raw), "value 'a\\x00b\\x1b[2J\\x0d' line\n\tnext\\x7f");
  EXPECT_EQ(printable(printable(raw)), printable(raw));
  EXPECT_EQ(std::string(FormatError(raw).what()), "value 'a\\x00b\\x1b[2J\\x0d' line\n\tnext\\x7f");
  // JSON's \u0000 is a NUL in the string read: the message goes on past it.
  const std::string nul = error_of("{\"format\": \"ulysses-a2a/sch\\u0000edule\", \"version\": 1}");
  EXPECT_NE(nul.find("got \"ulysses-a2a/sch\\x00edule\""), std::string::npos) << nul;
}

TEST(Io, ProgramsJsonRoundTrips) {
  for (const auto& d : {Discipline::paired_half, Discipline::paired_full, Discipline::naive}) {
    const ProgramSet p = lower(round_robin(5, uniform_payload(10, true, 3)), d);
    EXPECT_EQ(programs_from_json(programs_to_json(p)), p);
  }
}

TEST(Io, ErrorsNameTheField) {
  const std::string good = schedule_to_json(round_robin(4, uniform_payload(8, true, 1)));
  EXPECT_NE(error_of("{").find("not valid JSON"), std::string::npos);
  EXPECT_NE(error_of(replace(good, "\"algo\"", "\"algorithm\"")).find("schedule.algorithm: unknown field"), std::string::npos);
  EXPECT_NE(error_of(replace(good, "\"ranks\": 4", "\"ranks\": 0")).find("schedule.ranks: must be between 1"), std::string::npos);
  EXPECT_NE(error_of(replace(good, "\"version\": 1", "\"version\": 9")).find("unsupported version 9"), std::string::npos);
  EXPECT_NE(error_of(replace(good, "\"chunks\": 1", "\"chunks\": 0")).find("schedule.payload.chunks"), std::string::npos);
  EXPECT_NE(error_of(replace(good, "\"dst\":3", "\"dst\":4")).find("schedule.rounds[0].transfers[0].dst"), std::string::npos);
  EXPECT_NE(error_of(replace(good, "\"bytes\":8", "\"bytes\":-8")).find("bytes: expected a byte count"), std::string::npos);
  EXPECT_NE(error_of(replace(good, "\"pairs\": [[0,3]", "\"pairs\": [[0,2]")).find("does not match"),
            std::string::npos);
  EXPECT_NE(error_of(replace(good, "\"kind\": \"pairing\"", "\"kind\": \"pairs\"")).find("schedule.kind"), std::string::npos);
}

TEST(Io, ProgramErrorsNameTheRank) {
  const std::string good = programs_to_json(lower(round_robin(2, uniform_payload(8, true, 1)), Discipline::paired_full));
  EXPECT_NE(programs_error_of(replace(good, "\"op\":\"send\"", "\"op\":\"put\"")).find("programs.programs[0].steps[0][1].op"), std::string::npos);
  EXPECT_NE(programs_error_of(replace(good, "\"rank\": 1", "\"rank\": 0")).find("program 1 must be rank 1"), std::string::npos);
  EXPECT_NE(programs_error_of(replace(good, "\"peer\":1", "\"peer\":7")).find("peer: must be between 0 and 1"), std::string::npos);
}

TEST(Io, TextShowsReferencePairsAndByes) {
  const std::string even = schedule_to_text(round_robin(8, uniform_payload(8, true, 1)));
  EXPECT_NE(even.find("round 0: (0,7)(1,6)(2,5)(3,4)\n"), std::string::npos) << even;
  EXPECT_NE(even.find("round 6: (0,1)(2,7)(3,6)(4,5)\n"), std::string::npos) << even;
  const std::string odd = schedule_to_text(round_robin(7, uniform_payload(8, true, 1)));
  EXPECT_NE(odd.find("round 0: (1,6)(2,5)(3,4) bye 0\n"), std::string::npos) << odd;
  EXPECT_NE(odd.find("7 rounds"), std::string::npos);
}

TEST(Io, DocumentKind) {
  EXPECT_EQ(document_kind(schedule_to_json(shift(3, uniform_payload(8, true, 1)))), DocumentKind::schedule);
  EXPECT_EQ(document_kind(programs_to_json(lower(shift(3, uniform_payload(8, true, 1)), Discipline::grouped))),
            DocumentKind::programs);
  EXPECT_THROW(document_kind("{\"format\": \"x\"}"), FormatError);
}

TEST(Io, DisciplineIsOptionalAndRoundTrips) {
  Schedule s = round_robin(4, uniform_payload(8, true, 1));
  const std::string without = schedule_to_json(s);
  EXPECT_EQ(without.find("\"discipline\""), std::string::npos);  // older readers see the same file
  EXPECT_EQ(schedule_from_json(without).discipline, "");
  s.discipline = "paired-half";
  const std::string with = schedule_to_json(s);
  EXPECT_NE(with.find("\"discipline\": \"paired-half\""), std::string::npos);
  EXPECT_EQ(schedule_from_json(with), s);
  EXPECT_NE(error_of(replace(with, "\"paired-half\"", "\"sideways\"")).find("schedule.discipline: unknown discipline 'sideways'"),
            std::string::npos);
}

TEST(Schedule, WithPayloadKeepsTheOrderAndRecutsEveryBlock) {
  const Schedule s = round_robin(4, uniform_payload(8, true, 1));
  const Payload qkv = uniform_payload(300, false, 2);  // q, k, v of 100 B, each in 2 chunks
  const Schedule t = with_payload(s, qkv);
  ASSERT_EQ(t.rounds.size(), s.rounds.size());
  EXPECT_EQ(t.payload, qkv);
  for (std::size_t i = 0; i < s.rounds.size(); ++i) {
    EXPECT_EQ(round_pairs(t.rounds[i]), round_pairs(s.rounds[i])) << "round " << i;
    EXPECT_EQ(t.rounds[i].transfers.size(), s.rounds[i].transfers.size() * 6) << "round " << i;  // 3 parts x 2 chunks
    std::uint64_t bytes = 0;
    for (const Transfer& tr : t.rounds[i].transfers) bytes += tr.bytes;
    EXPECT_EQ(bytes, s.rounds[i].transfers.size() * 300u);
  }
  EXPECT_EQ(with_payload(t, s.payload).rounds, s.rounds);  // and back
}
