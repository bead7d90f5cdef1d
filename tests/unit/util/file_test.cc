#include "util/file.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>

#include "support/scratch_dir.h"
#include "util/temp_dir.h"

namespace ttg::util {
namespace {

class ReadFileTest : public ::testing::Test {
 protected:
  std::string write(const std::string& name, const std::string& text) {
    return dir_.write(name, text);
  }
  testing::ScratchDir dir_{"ttg-read-file-"};
};

TEST_F(ReadFileTest, ReadsUpToTheLimit) {
  std::string text(1024, 'x');
  text += std::string("\0\n", 2);
  auto got = read_file(write("f", text), text.size());
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, text);
  got = read_file(write("empty", ""), 0);
  ASSERT_TRUE(got) << got.error();
  EXPECT_EQ(*got, "");
}

TEST_F(ReadFileTest, RefusesWhatIsTooLongOrNotAFile) {
  struct Case {
    std::string path;
    size_t max;
    std::string want;
  } cases[] = {
      {write("long", std::string(1025, 'x')), 1024, "larger than 1 KiB"},
      {write("long2", std::string(100, 'x')), 99, "larger than 99 bytes"},
      // Endless: read only up to the bound.
      {"/dev/zero", size_t{64} << 20, "larger than 64 MiB"},
      {dir_.path(), 1024, "is a directory"},
      {dir_.path() + "/missing", 1024, "No such file or directory"},
  };
  for (const auto& c : cases) {
    auto got = read_file(c.path, c.max);
    ASSERT_FALSE(got) << c.path;
    EXPECT_EQ(got.error(), c.want) << c.path;
  }
}

TEST(SizeTextTest, NamesTheUnit) {
  EXPECT_EQ(size_text(16u << 20), "16 MiB");
  EXPECT_EQ(size_text(64u << 10), "64 KiB");
  EXPECT_EQ(size_text(4096), "4 KiB");
  EXPECT_EQ(size_text(1000), "1000 bytes");
  EXPECT_EQ(size_text(0), "0 bytes");
}

}  // namespace
}  // namespace ttg::util
