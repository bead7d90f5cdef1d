#include "redis/reply.h"

#include "util/strings.h"

namespace ttg::redis {

Reply Reply::integer(int64_t v) {
  Reply r;
  r.type_ = Type::kInteger;
  r.integer_ = v;
  return r;
}

Reply Reply::array(std::vector<Reply> elements) {
  Reply r;
  r.type_ = Type::kArray;
  r.elements_ = std::move(elements);
  return r;
}

std::optional<int64_t> Reply::as_int() const {
  if (type_ == Type::kInteger) return integer_;
  if (type_ == Type::kString || type_ == Type::kStatus) return util::parse_int(str_);
  return std::nullopt;
}

std::string Reply::debug_string() const {
  switch (type_) {
    case Type::kNil:
      return "nil";
    case Type::kString:
      return "\"" + str_ + "\"";
    case Type::kStatus:
      return str_;
    case Type::kError:
      return "(error) " + str_;
    case Type::kInteger:
      return std::to_string(integer_);
    case Type::kArray: {
      std::string out = "[";
      for (size_t i = 0; i < elements_.size(); ++i) {
        if (i > 0) out += ", ";
        out += elements_[i].debug_string();
      }
      return out + "]";
    }
  }
  return "?";
}

}  // namespace ttg::redis
