#include "web/web.h"

#include <cstddef>

namespace ttg::web {
namespace detail {
extern const Asset kAssets[];
extern const std::size_t kAssetCount;
}  // namespace detail

const Asset* asset(std::string_view name) {
  for (std::size_t i = 0; i < detail::kAssetCount; ++i) {
    if (detail::kAssets[i].name == name) return &detail::kAssets[i];
  }
  return nullptr;
}

std::vector<const Asset*> assets() {
  std::vector<const Asset*> all;
  all.reserve(detail::kAssetCount);
  for (std::size_t i = 0; i < detail::kAssetCount; ++i) all.push_back(&detail::kAssets[i]);
  return all;
}

}  // namespace ttg::web
