#include "util/temp_dir.h"

#include <sys/stat.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

namespace ttg::util {
namespace {

namespace fs = std::filesystem;

// Sets an environment variable for the lifetime of the guard.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const char* value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    ::setenv(name, value, 1);
  }
  ~ScopedEnv() {
    if (old_) {
      ::setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      ::unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

void fill(const std::string& dir) {
  fs::create_directories(dir + "/a/b");
  std::ofstream(dir + "/a/b/file") << "data";
  std::ofstream(dir + "/top") << "data";
}

TEST(TempDirTest, CreatesAPrivateDirectoryAndRemovesItWithItsContents) {
  std::string path;
  {
    auto dir = TempDir::create("ttg-tempdir-test-");
    ASSERT_TRUE(dir) << dir.error();
    path = dir->path();
    EXPECT_NE(fs::path(path).filename().string().find("ttg-tempdir-test-"), std::string::npos)
        << path;
    ASSERT_TRUE(fs::is_directory(path));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    fill(path);
  }
  EXPECT_FALSE(fs::exists(path)) << path << " was not removed";
}

TEST(TempDirTest, EachDirectoryIsNew) {
  auto a = TempDir::create("ttg-tempdir-test-");
  auto b = TempDir::create("ttg-tempdir-test-");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->path(), b->path());
}

TEST(TempDirTest, MoveKeepsOneOwner) {
  std::string path;
  {
    auto dir = TempDir::create("ttg-tempdir-test-");
    ASSERT_TRUE(dir) << dir.error();
    path = dir->path();
    TempDir moved(std::move(*dir));
    EXPECT_EQ(moved.path(), path);
    EXPECT_EQ(dir->path(), "");  // the moved-from owner gives up the directory
    { TempDir again(std::move(moved)); }
    EXPECT_FALSE(fs::exists(path)) << "the last owner did not remove " << path;
  }
}

TEST(TempDirTest, MoveAssignRemovesTheOverwrittenDirectory) {
  auto a = TempDir::create("ttg-tempdir-test-");
  auto b = TempDir::create("ttg-tempdir-test-");
  ASSERT_TRUE(a && b);
  std::string old_a = a->path();
  std::string old_b = b->path();
  fill(old_a);
  *a = std::move(*b);
  EXPECT_FALSE(fs::exists(old_a));
  EXPECT_TRUE(fs::exists(old_b));
  EXPECT_EQ(a->path(), old_b);
}

TEST(TempDirTest, ReleaseKeepsTheDirectory) {
  std::string path;
  {
    auto dir = TempDir::create("ttg-tempdir-test-");
    ASSERT_TRUE(dir) << dir.error();
    path = dir->path();
    dir->release();
  }
  EXPECT_TRUE(fs::is_directory(path));
  fs::remove_all(path);
}

TEST(TempDirTest, HonoursTmpdir) {
  auto base = TempDir::create("ttg-tempdir-base-");
  ASSERT_TRUE(base) << base.error();
  ScopedEnv env("TMPDIR", base->path().c_str());
  auto dir = TempDir::create("inner-");
  ASSERT_TRUE(dir) << dir.error();
  EXPECT_EQ(fs::path(dir->path()).parent_path(), fs::path(base->path()));
}

TEST(TempDirTest, FailsWhenTheBaseDoesNotExist) {
  ScopedEnv env("TMPDIR", "/nonexistent/ttg-tempdir-base");
  auto dir = TempDir::create("x-");
  ASSERT_FALSE(dir) << "created " << dir->path();
  EXPECT_NE(dir.error().find("/nonexistent/ttg-tempdir-base"), std::string::npos) << dir.error();
}

}  // namespace
}  // namespace ttg::util
