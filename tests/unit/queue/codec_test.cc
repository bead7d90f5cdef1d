#include "queue/codec.h"

#include <gtest/gtest.h>

namespace ttg::queue {
namespace {

TEST(CodecTest, DecodeRejectsEntriesThatDisagreeWithTheSpec) {
  JobSpec s;
  s.total_params = 100;
  s.chunk_size = 10;
  auto fields = [](std::vector<std::string> kv) {
    std::vector<redis::Reply> r;
    for (auto& x : kv) r.push_back(redis::Reply::string(x));
    return redis::Reply::array(std::move(r));
  };
  struct Case {
    std::string id;
    std::vector<std::string> kv;
    std::string want;  // substring of the reason; empty = fine
  } cases[] = {
      {"3-0", {"chunk_id", "2", "start_param", "20", "end_param", "30"}, ""},
      {"3-0", {"chunk_id", "5", "start_param", "20", "end_param", "30"}, "does not match its ID"},
      {"3-0", {"chunk_id", "2", "start_param", "0", "end_param", "30"}, "does not match the job"},
      {"3-0", {"chunk_id", "2", "end_param", "30"}, "start_param"},
      {"3-0", {"chunk_id", "x", "start_param", "20", "end_param", "30"}, "chunk_id"},
      {"3-1", {"chunk_id", "2", "start_param", "20", "end_param", "30"}, "not written by ttg"},
      {"11-0", {"chunk_id", "10", "start_param", "100", "end_param", "110"}, "not written by ttg"},
      {"0-1", {}, "not written by ttg"},
  };
  for (const auto& c : cases) {
    Chunk got = decode_task("j", s, c.id, fields(c.kv), 1);
    if (c.want.empty()) {
      EXPECT_TRUE(got.malformed.empty()) << c.id << ": " << got.malformed;
      EXPECT_EQ(got.begin, 20);
      EXPECT_EQ(got.end, 30);
    } else {
      EXPECT_NE(got.malformed.find(c.want), std::string::npos)
          << c.id << ": got '" << got.malformed << "', want '" << c.want << "'";
    }
  }
}

TEST(CodecTest, DecodeReadsWhenTheChunkWasQueued) {
  JobSpec s;
  s.total_params = 25;
  s.chunk_size = 10;
  auto entry = [&](const std::string& created_at) {
    std::vector<redis::Reply> r;
    for (const auto& x : task_fields("j", s, 1, created_at)) r.push_back(redis::Reply::string(x));
    return decode_task("j", s, entry_id_for_chunk(1), redis::Reply::array(std::move(r)), 1);
  };
  Chunk good = entry(iso8601(1796000000123));
  EXPECT_TRUE(good.malformed.empty()) << good.malformed;
  EXPECT_EQ(good.created_ms, 1796000000123);
  // Unknown, not malformed: the time only feeds a metric.
  Chunk odd = entry("yesterday");
  EXPECT_TRUE(odd.malformed.empty()) << odd.malformed;
  EXPECT_EQ(odd.created_ms, 0);
}

TEST(CodecTest, EntryIdNamesTheChunk) {
  EXPECT_EQ(entry_id_for_chunk(0), "1-0");
  EXPECT_EQ(entry_id_for_chunk(41), "42-0");
}

TEST(CodecTest, TaskFieldsCoverTheLastShortChunk) {
  JobSpec s;
  s.total_params = 25;
  s.chunk_size = 10;
  auto f = task_fields("j", s, 2, "t");
  std::map<std::string, std::string> m;
  for (size_t i = 0; i + 1 < f.size(); i += 2) m[f[i]] = f[i + 1];
  EXPECT_EQ(m["start_param"], "20");
  EXPECT_EQ(m["end_param"], "25");
  EXPECT_EQ(m["params_count"], "5");
  EXPECT_EQ(m["total_chunks"], "3");
}

}  // namespace
}  // namespace ttg::queue
