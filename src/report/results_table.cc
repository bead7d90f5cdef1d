#include "report/results_table.h"

#include <algorithm>
#include <ostream>
#include <set>

#include <nlohmann/json.hpp>

#include "util/strings.h"
#include "util/suggest.h"

namespace ttg::report {

namespace {

using nlohmann::json;

bool contains(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

// The records of a chunk, in param_index order.
std::vector<json> records_of(const ChunkRows& chunk) {
  json data = json::parse(chunk.result_data, nullptr, false);
  if (data.is_discarded()) return {};
  std::vector<json> records;
  if (data.is_array()) {
    for (auto& r : data) records.push_back(r.is_object() ? std::move(r) : json{{"value", r}});
  } else {
    records.push_back(data.is_object() ? std::move(data) : json{{"value", data}});
  }
  // Kernels give a chunk's sets in order already; records without an index
  // keep theirs.
  std::stable_sort(records.begin(), records.end(), [](const json& a, const json& b) {
    auto ia = a.find("param_index"), ib = b.find("param_index");
    if (ia == a.end() || ib == b.end() || !ia->is_number() || !ib->is_number()) return false;
    return ia->get<double>() < ib->get<double>();
  });
  return records;
}

// The names of exec's `outputs` argument: a list or a comma-separated text.
std::vector<std::string> names_in(const json& value) {
  std::vector<std::string> names;
  if (value.is_array()) {
    for (const auto& v : value) {
      if (v.is_string()) names.push_back(v.get<std::string>());
    }
  } else if (value.is_string()) {
    for (const auto& part : util::split(value.get<std::string>(), ',')) {
      auto name = util::trim(part);
      if (!name.empty()) names.emplace_back(name);
    }
  }
  return names;
}

// JSON text; bytes that are not UTF-8 (a worker's name may hold any) become
// U+FFFD rather than an exception.
template <class Json>
std::string dump(const Json& v) {
  return v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// Quoted as Python's csv module quotes (QUOTE_MINIMAL): only a field that
// holds a comma, a quote or a line end.
std::string csv_cell(const json& v) {
  if (v.is_null()) return "";
  std::string s = v.is_string() ? v.get<std::string>() : dump(v);
  if (s.find_first_of(",\"\r\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Result<Format> parse_format(std::string_view name) {
  if (name == "csv") return Format::kCsv;
  if (name == "jsonl") return Format::kJsonLines;
  if (name == "json") return Format::kJson;
  return make_error(ErrorCode::kInvalidArgument,
                    "unknown format '" + std::string(name) + "' (csv, jsonl or json)");
}

ChunkRows rows_of(const queue::ResultRecord& record) {
  ChunkRows rows;
  auto field = [&](const char* name) -> const std::string* {
    auto it = record.fields.find(name);
    return it == record.fields.end() ? nullptr : &it->second;
  };
  if (auto v = field("chunk_id")) rows.chunk_id = util::parse_int(*v).value_or(-1);
  if (auto v = field("attempt")) rows.attempt = static_cast<int>(util::parse_int(*v).value_or(0));
  if (auto v = field("worker_id")) rows.worker_id = *v;
  if (auto v = field("duration_seconds")) rows.seconds = util::parse_double(*v).value_or(0);
  if (auto v = field("completed_at")) rows.completed_at = *v;
  if (auto v = field("result_data")) rows.result_data = *v;
  return rows;
}

const std::vector<std::string>& bookkeeping_columns() {
  static const std::vector<std::string> columns = {"chunk_id", "attempt", "worker_id",
                                                   "chunk_seconds", "completed_at"};
  return columns;
}

// The columns found in the rows, by section.
struct ResultsTable::Scan {
  std::vector<std::string> inputs;   // param_index, the space, other parameters
  std::vector<std::string> outputs;  // the kernel's, then the rest
};

ResultsTable::ResultsTable(const JobSpec& spec, const kernels::KernelInfo* kernel)
    : spec_(spec), kernel_known_(kernel != nullptr) {
  if (kernel != nullptr) kernel_ = *kernel;
}

void ResultsTable::add(ChunkRows chunk) {
  rows_ += static_cast<int64_t>(records_of(chunk).size());
  chunks_.push_back(std::move(chunk));
}

int64_t ResultsTable::rows() const { return rows_; }

ResultsTable::Scan ResultsTable::scan() const {
  // Every key the records hold, in first-seen order.
  std::vector<std::string> seen;
  std::set<std::string, std::less<>> seen_set;
  for (const auto& chunk : chunks_) {
    for (const auto& record : records_of(chunk)) {
      for (auto it = record.begin(); it != record.end(); ++it) {
        if (seen_set.insert(it.key()).second) seen.push_back(it.key());
      }
    }
  }
  Scan s;
  std::set<std::string, std::less<>> placed;
  auto place = [&](std::vector<std::string>& section, const std::string& name) {
    if (contains(bookkeeping_columns(), name) || !placed.insert(name).second) return;
    section.push_back(name);
  };
  place(s.inputs, "param_index");
  for (const auto& name : spec_.param_names()) place(s.inputs, name);
  if (kernel_known_) {
    for (const auto& p : kernel_.parameters) {
      if (seen_set.count(p.name) != 0) place(s.inputs, p.name);
    }
    for (const auto& o : kernel_.outputs) {
      // exec lists "(any)": its outputs are the program's.
      if (!o.name.empty() && o.name.front() != '(') place(s.outputs, o.name);
    }
  }
  if (auto it = spec_.args.find("outputs"); spec_.kernel == "exec" && it != spec_.args.end()) {
    for (const auto& name : names_in(*it)) place(s.outputs, name);
  }
  for (const auto& name : spec_.outputs) place(s.outputs, name);
  for (const auto& name : seen) place(s.outputs, name);
  return s;
}

std::vector<std::string> ResultsTable::columns() const {
  Scan s = scan();
  std::vector<std::string> all = s.inputs;
  all.insert(all.end(), s.outputs.begin(), s.outputs.end());
  all.insert(all.end(), bookkeeping_columns().begin(), bookkeeping_columns().end());
  return all;
}

std::vector<std::string> ResultsTable::default_columns() const {
  Scan s = scan();
  std::vector<std::string> out = s.inputs;
  for (const auto& name : s.outputs) {
    if (spec_.outputs.empty() || contains(spec_.outputs, name)) out.push_back(name);
  }
  out.insert(out.end(), bookkeeping_columns().begin(), bookkeeping_columns().end());
  return out;
}

Status ResultsTable::select(std::vector<std::string> names) {
  if (names.empty()) return make_error(ErrorCode::kInvalidArgument, "no columns");
  std::vector<std::string> known = columns();
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& name = names[i];
    if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), name) !=
        names.begin() + static_cast<std::ptrdiff_t>(i)) {
      return make_error(ErrorCode::kInvalidArgument, "column '" + name + "' is listed twice");
    }
    if (contains(known, name)) continue;
    std::string list;
    for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
    std::string suggestion = util::did_you_mean(name, known);
    std::string message = "unknown column '" + name + "' (";
    if (!suggestion.empty()) message += suggestion.substr(2, suggestion.size() - 3) + "; ";
    message += "the columns are " + list + ")";
    return make_error(ErrorCode::kInvalidArgument, message);
  }
  selected_ = std::move(names);
  return {};
}

Status ResultsTable::write(std::ostream& out, Format format) const {
  const std::vector<std::string> cols = selected_.empty() ? default_columns() : selected_;
  std::vector<const ChunkRows*> order;
  for (const auto& chunk : chunks_) order.push_back(&chunk);
  std::stable_sort(order.begin(), order.end(), [](const ChunkRows* a, const ChunkRows* b) {
    return a->chunk_id < b->chunk_id;
  });
  auto value_of = [&](const ChunkRows& chunk, const json& record, const std::string& col) -> json {
    if (col == "chunk_id") return chunk.chunk_id;
    if (col == "attempt") return chunk.attempt;
    if (col == "worker_id") return chunk.worker_id;
    if (col == "chunk_seconds") return chunk.seconds;
    if (col == "completed_at") return chunk.completed_at;
    auto it = record.find(col);
    return it == record.end() ? json(nullptr) : *it;
  };
  if (format == Format::kCsv) {
    for (size_t i = 0; i < cols.size(); ++i) out << (i > 0 ? "," : "") << csv_cell(cols[i]);
    out << "\n";
  } else if (format == Format::kJson) {
    out << "[";
  }
  bool first = true;
  for (const ChunkRows* chunk : order) {
    for (const auto& record : records_of(*chunk)) {
      if (format == Format::kCsv) {
        for (size_t i = 0; i < cols.size(); ++i) {
          out << (i > 0 ? "," : "") << csv_cell(value_of(*chunk, record, cols[i]));
        }
        out << "\n";
        continue;
      }
      nlohmann::ordered_json row = nlohmann::ordered_json::object();
      for (const auto& col : cols) row[col] = value_of(*chunk, record, col);
      if (format == Format::kJsonLines) {
        out << dump(row) << "\n";
      } else {
        out << (first ? "\n" : ",\n") << dump(row);
      }
      first = false;
    }
  }
  if (format == Format::kJson) out << "\n]\n";
  out.flush();
  if (!out) return make_error(ErrorCode::kIo, "write failed");
  return {};
}

}  // namespace ttg::report
