// The built-in model kernels: bs_mc, sir, mandelbrot.

#include "kernels/models.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "kernels/builtin.h"
#include "kernels/random.h"

namespace ttg::kernels {

namespace {

using std::chrono::milliseconds;

// A problem with a parameter set found while computing is a failed attempt.
Error as_kernel_failure(const Error& e) { return Error{ErrorCode::kKernelFailed, e.message}; }

Status require(bool ok, const std::string& message) {
  if (ok) return {};
  return make_error(ErrorCode::kInvalidArgument, message);
}

// --- bs_mc -----------------------------------------------------------------

Result<OptionSpec> option_of(const nlohmann::json& point) {
  OptionSpec o;
  TTG_TRY_ASSIGN(o.spot, number_param(point, "spot"));
  TTG_TRY_ASSIGN(o.strike, number_param(point, "strike"));
  TTG_TRY_ASSIGN(o.vol, number_param(point, "vol"));
  TTG_TRY_ASSIGN(o.rate, number_param(point, "rate"));
  TTG_TRY_ASSIGN(o.maturity, number_param(point, "maturity"));
  TTG_TRY(require(o.spot > 0, "parameter 'spot' must be > 0"));
  TTG_TRY(require(o.strike > 0, "parameter 'strike' must be > 0"));
  TTG_TRY(require(o.vol > 0, "parameter 'vol' must be > 0"));
  TTG_TRY(require(std::isfinite(o.rate), "parameter 'rate' must be finite"));
  TTG_TRY(require(o.maturity > 0, "parameter 'maturity' must be > 0"));
  auto type = point.find("type");
  if (type != point.end()) {
    if (*type != "call" && *type != "put") {
      return make_error(ErrorCode::kInvalidArgument,
                        "parameter 'type' must be \"call\" or \"put\", not " + type->dump());
    }
    o.put = *type == "put";
  }
  return o;
}

Status check_option(const nlohmann::json& point) {
  return option_of(point).map([](auto&&) {});
}

class BsMcKernel final : public PointKernel {
 public:
  BsMcKernel(nlohmann::json defaults, int64_t paths, std::optional<milliseconds> timeout)
      : PointKernel(timeout, std::move(defaults)), paths_(paths) {}

 protected:
  Result<nlohmann::json> compute(const nlohmann::json& point, uint64_t seed,
                                 const StopCondition& stop) override {
    auto o = option_of(point);
    if (!o) return tl::unexpected(as_kernel_failure(o.error()));
    TTG_TRY_ASSIGN(McPrice mc, monte_carlo_price(*o, paths_, seed, stop));
    return nlohmann::json{
        {"price", mc.price}, {"std_error", mc.std_error}, {"closed_form", black_scholes_price(*o)}};
  }

 private:
  int64_t paths_;
};

const std::vector<KernelField>& bs_mc_parameters() {
  static const std::vector<KernelField> p = {
      {"spot", "price of the underlying today", 100.0},
      {"strike", "strike price", 100.0},
      {"vol", "volatility per year", 0.2},
      {"rate", "risk-free rate per year, continuously compounded", 0.05},
      {"maturity", "time to expiry in years", 1.0},
      {"type", "\"call\" or \"put\"", "call"},
  };
  return p;
}

Result<std::unique_ptr<Kernel>> make_bs_mc(const nlohmann::json& args) {
  TTG_TRY_ASSIGN(int64_t paths, int_arg(args, "paths", 20000, 2));
  TTG_TRY_ASSIGN(auto timeout, timeout_arg(args, std::nullopt));
  return std::make_unique<BsMcKernel>(parameter_defaults(bs_mc_parameters(), args), paths, timeout);
}

// --- sir -------------------------------------------------------------------

const std::vector<KernelField>& sir_parameters() {
  static const std::vector<KernelField> p = {
      {"beta", "infections per infected person per day", 0.3},
      {"gamma", "recoveries per infected person per day (1 / days infectious)", 0.1},
  };
  return p;
}

Result<SirSpec> sir_of(const nlohmann::json& point, const SirSpec& base) {
  SirSpec s = base;
  TTG_TRY_ASSIGN(s.beta, number_param(point, "beta"));
  TTG_TRY_ASSIGN(s.gamma, number_param(point, "gamma"));
  TTG_TRY(require(s.beta >= 0 && std::isfinite(s.beta), "parameter 'beta' must be >= 0"));
  TTG_TRY(require(s.gamma > 0 && std::isfinite(s.gamma), "parameter 'gamma' must be > 0"));
  return s;
}

Status check_sir(const nlohmann::json& point) {
  return sir_of(point, SirSpec{}).map([](auto&&) {});
}

class SirKernel final : public PointKernel {
 public:
  SirKernel(nlohmann::json defaults, SirSpec base, double population,
            std::optional<milliseconds> timeout)
      : PointKernel(timeout, std::move(defaults)), base_(base), population_(population) {}

 protected:
  Result<nlohmann::json> compute(const nlohmann::json& point, uint64_t,
                                 const StopCondition&) override {
    auto s = sir_of(point, base_);
    if (!s) return tl::unexpected(as_kernel_failure(s.error()));
    SirOutcome o = integrate_sir(*s);
    return nlohmann::json{{"peak_infected", o.peak_infected * population_},
                          {"peak_day", o.peak_day},
                          {"final_size", o.final_size},
                          {"r0", o.r0}};
  }

 private:
  SirSpec base_;
  double population_;
};

Result<std::unique_ptr<Kernel>> make_sir(const nlohmann::json& args) {
  SirSpec base;
  TTG_TRY_ASSIGN(double population, number_arg(args, "population", 1.0));
  TTG_TRY_ASSIGN(base.i0, number_arg(args, "i0", base.i0));
  TTG_TRY_ASSIGN(base.days, number_arg(args, "days", base.days));
  TTG_TRY_ASSIGN(base.dt, number_arg(args, "dt", base.dt));
  TTG_TRY_ASSIGN(auto timeout, timeout_arg(args, std::nullopt));
  auto bad = [](const char* name, const char* rule) {
    return make_error(ErrorCode::kInvalidArgument,
                      std::string("kernel argument '") + name + "' must be " + rule);
  };
  if (!(population > 0) || !std::isfinite(population)) return bad("population", "> 0");
  if (!(base.i0 > 0 && base.i0 < 1)) return bad("i0", "in (0, 1)");
  if (!(base.days > 0) || !std::isfinite(base.days)) return bad("days", "> 0");
  if (!(base.dt > 0) || base.dt > base.days) return bad("dt", "> 0 and <= days");
  if (base.days / base.dt > 1e8) return bad("dt", "at least days / 1e8");
  return std::make_unique<SirKernel>(parameter_defaults(sir_parameters(), args), base, population,
                                     timeout);
}

// --- mandelbrot --------------------------------------------------------------

// x, else cx (one of them is needed).
Result<double> coordinate(const nlohmann::json& point, const char* name, const char* alias) {
  return number_param(point, point.contains(name) || !point.contains(alias) ? name : alias);
}

Status check_mandelbrot(const nlohmann::json& point) {
  TTG_TRY(coordinate(point, "x", "cx"));
  TTG_TRY(coordinate(point, "y", "cy"));
  return {};
}

class MandelbrotKernel final : public PointKernel {
 public:
  MandelbrotKernel(nlohmann::json defaults, int64_t max_iter, std::optional<milliseconds> timeout)
      : PointKernel(timeout, std::move(defaults)), max_iter_(max_iter) {}

 protected:
  Result<nlohmann::json> compute(const nlohmann::json& point, uint64_t,
                                 const StopCondition&) override {
    auto x = coordinate(point, "x", "cx");
    if (!x) return tl::unexpected(as_kernel_failure(x.error()));
    auto y = coordinate(point, "y", "cy");
    if (!y) return tl::unexpected(as_kernel_failure(y.error()));
    Escape e = mandelbrot_escape(*x, *y, max_iter_);
    return nlohmann::json{{"iterations", e.iterations}, {"inside", e.inside}};
  }

 private:
  int64_t max_iter_;
};

const std::vector<KernelField>& mandelbrot_parameters() {
  static const std::vector<KernelField> p = {{"x", "real part of c"},
                                             {"y", "imaginary part of c"},
                                             {"cx", "another name for x"},
                                             {"cy", "another name for y"}};
  return p;
}

Result<std::unique_ptr<Kernel>> make_mandelbrot(const nlohmann::json& args) {
  TTG_TRY_ASSIGN(int64_t max_iter, int_arg(args, "max_iter", 256, 1));
  TTG_TRY_ASSIGN(auto timeout, timeout_arg(args, std::nullopt));
  return std::make_unique<MandelbrotKernel>(parameter_defaults(mandelbrot_parameters(), args),
                                            max_iter, timeout);
}

}  // namespace

double black_scholes_price(const OptionSpec& o) {
  double sd = o.vol * std::sqrt(o.maturity);
  double d1 = (std::log(o.spot / o.strike) + (o.rate + 0.5 * o.vol * o.vol) * o.maturity) / sd;
  double d2 = d1 - sd;
  auto n = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  double discount = std::exp(-o.rate * o.maturity);
  if (o.put) return o.strike * discount * n(-d2) - o.spot * n(-d1);
  return o.spot * n(d1) - o.strike * discount * n(d2);
}

Result<McPrice> monte_carlo_price(const OptionSpec& o, int64_t paths, uint64_t seed,
                                  const StopCondition& stop) {
  Rng rng(seed);
  const double drift = (o.rate - 0.5 * o.vol * o.vol) * o.maturity;
  const double diffusion = o.vol * std::sqrt(o.maturity);
  // Welford's running mean and sum of squared deviations.
  double mean = 0, m2 = 0;
  for (int64_t k = 1; k <= paths; ++k) {
    if ((k & 0xffff) == 0) TTG_TRY(stop.check());
    double st = o.spot * std::exp(drift + diffusion * rng.normal());
    double payoff = o.put ? std::max(o.strike - st, 0.0) : std::max(st - o.strike, 0.0);
    double delta = payoff - mean;
    mean += delta / static_cast<double>(k);
    m2 += delta * (payoff - mean);
  }
  double discount = std::exp(-o.rate * o.maturity);
  double variance = m2 / static_cast<double>(paths - 1);
  return McPrice{discount * mean, discount * std::sqrt(variance / static_cast<double>(paths))};
}

SirOutcome integrate_sir(const SirSpec& spec) {
  struct State {
    double s, i, r;
  };
  auto deriv = [&](const State& x) {
    double infections = spec.beta * x.s * x.i;
    double recoveries = spec.gamma * x.i;
    return State{-infections, infections - recoveries, recoveries};
  };
  auto axpy = [](const State& x, double h, const State& d) {
    return State{x.s + h * d.s, x.i + h * d.i, x.r + h * d.r};
  };
  int64_t steps = std::max<int64_t>(1, std::llround(spec.days / spec.dt));
  double h = spec.days / static_cast<double>(steps);
  State x{1.0 - spec.i0, spec.i0, 0.0};
  SirOutcome out;
  out.r0 = spec.beta / spec.gamma;
  out.peak_infected = x.i;
  for (int64_t n = 1; n <= steps; ++n) {
    State k1 = deriv(x);
    State k2 = deriv(axpy(x, h / 2, k1));
    State k3 = deriv(axpy(x, h / 2, k2));
    State k4 = deriv(axpy(x, h, k3));
    x.s += h / 6 * (k1.s + 2 * k2.s + 2 * k3.s + k4.s);
    x.i += h / 6 * (k1.i + 2 * k2.i + 2 * k3.i + k4.i);
    x.r += h / 6 * (k1.r + 2 * k2.r + 2 * k3.r + k4.r);
    if (x.i > out.peak_infected) {
      out.peak_infected = x.i;
      out.peak_day = h * static_cast<double>(n);
    }
  }
  out.final_size = x.r;
  out.final_susceptible = x.s;
  return out;
}

Escape mandelbrot_escape(double cx, double cy, int64_t max_iter) {
  double zr = 0, zi = 0;
  for (int64_t n = 1; n <= max_iter; ++n) {
    double next_r = zr * zr - zi * zi + cx;
    zi = 2 * zr * zi + cy;
    zr = next_r;
    if (zr * zr + zi * zi > 4.0) return Escape{n, false};
  }
  return Escape{max_iter, true};
}

BuiltinKind bs_mc_kind() {
  return {{"bs_mc",
           "Monte Carlo price of a European option under Black-Scholes, with the closed-form "
           "price beside it",
           "",
           "",
           bs_mc_parameters(),
           {{"paths", "simulated terminal prices per parameter set", 20000},
            timeout_field(std::nullopt)},
           {{"price", "Monte Carlo price (discounted mean payoff)"},
            {"std_error", "standard error of price"},
            {"closed_form", "the Black-Scholes formula's price"}}},
          make_bs_mc,
          check_option};
}

BuiltinKind sir_kind() {
  return {{"sir",
           "SIR epidemic model (normalised population) integrated with fourth-order Runge-Kutta",
           "",
           "",
           sir_parameters(),
           {{"population", "people; scales peak_infected (1: fractions)", 1.0},
            {"i0", "infected fraction on day 0", 0.001},
            {"days", "days simulated", 160.0},
            {"dt", "integration step in days", 0.1},
            timeout_field(std::nullopt)},
           {{"peak_infected", "largest number infected at once (a fraction when population is 1)"},
            {"peak_day", "day of that peak"},
            {"final_size", "fraction recovered at the end"},
            {"r0", "basic reproduction number beta / gamma"}}},
          make_sir,
          check_sir};
}

BuiltinKind mandelbrot_kind() {
  return {{"mandelbrot",
           "escape time of z -> z^2 + c from z = 0 at c = x + iy: a 2-D sweep draws the set",
           "",
           "",
           mandelbrot_parameters(),
           {{"max_iter", "iterations before c counts as inside", 256}, timeout_field(std::nullopt)},
           {{"iterations", "first n with |z_n| > 2, or max_iter"},
            {"inside", "true when |z_n| <= 2 for every n <= max_iter"}}},
          make_mandelbrot,
          check_mandelbrot};
}

}  // namespace ttg::kernels
