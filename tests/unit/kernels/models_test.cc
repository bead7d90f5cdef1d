// The built-in model kernels against known answers: bs_mc, sir, mandelbrot.

#include "kernels/models.h"

#include <gtest/gtest.h>

#include <cmath>

#include "kernels/kernel.h"

namespace ttg::kernels {
namespace {

using std::chrono::milliseconds;

JobSpec spec_of(const std::string& kernel, nlohmann::json args) {
  JobSpec s;
  s.kernel = kernel;
  s.args = std::move(args);
  return s;
}

// Runs `kernel` on the sets `points` (index i gets points[i]) of job `job`.
nlohmann::json run_points(const JobSpec& spec, const std::vector<nlohmann::json>& points,
                          const std::string& job = "job") {
  auto kernel = make_kernel(spec);
  EXPECT_TRUE(kernel) << kernel.error().message;
  if (!kernel) return nullptr;
  CancelFlag cancel{false};
  ChunkTask task{job, 0,
                 0,   static_cast<int64_t>(points.size()),
                 1,   [&](int64_t i) { return points[static_cast<size_t>(i)]; }};
  auto out = (*kernel)->run(task, cancel);
  EXPECT_TRUE(out) << out.error().message;
  return out ? nlohmann::json::parse(*out) : nullptr;
}

StopCondition no_stop(const CancelFlag& cancel) {
  return StopCondition(cancel, StopCondition::Clock::time_point::max(), milliseconds(0));
}

// --- bs_mc -------------------------------------------------------------------

TEST(BlackScholesTest, ClosedFormMatchesPublishedValues) {
  // Hull, Options, Futures and Other Derivatives: S=42, K=40, r=10%,
  // sigma=20%, T=0.5 gives a call of 4.76 and a put of 0.81; and the common
  // textbook case S=K=100, r=5%, sigma=20%, T=1: call 10.4506, put 5.5735.
  struct Case {
    OptionSpec o;
    double want;
  } cases[] = {
      {{42, 40, 0.2, 0.1, 0.5, false}, 4.7594},
      {{42, 40, 0.2, 0.1, 0.5, true}, 0.8086},
      {{100, 100, 0.2, 0.05, 1, false}, 10.4506},
      {{100, 100, 0.2, 0.05, 1, true}, 5.5735},
  };
  for (const auto& c : cases) {
    EXPECT_NEAR(black_scholes_price(c.o), c.want, 1e-4)
        << "S=" << c.o.spot << " K=" << c.o.strike << " put=" << c.o.put;
  }
}

TEST(BlackScholesTest, PutCallParityHolds) {
  OptionSpec call{90, 110, 0.35, 0.03, 2.0, false};
  OptionSpec put = call;
  put.put = true;
  double parity = call.spot - call.strike * std::exp(-call.rate * call.maturity);
  EXPECT_NEAR(black_scholes_price(call) - black_scholes_price(put), parity, 1e-10);
}

TEST(BsMcKernelTest, MonteCarloPriceIsWithinFourStandardErrorsOfTheClosedForm) {
  std::vector<nlohmann::json> points = {
      {{"spot", 100}, {"strike", 100}, {"vol", 0.2}, {"rate", 0.05}, {"maturity", 1}},
      {{"spot", 100},
       {"strike", 100},
       {"vol", 0.2},
       {"rate", 0.05},
       {"maturity", 1},
       {"type", "put"}},
      {{"spot", 42}, {"strike", 40}, {"vol", 0.2}, {"rate", 0.1}, {"maturity", 0.5}},
      {{"spot", 80}, {"strike", 120}, {"vol", 0.5}, {"rate", 0.0}, {"maturity", 3}},
      {{"spot", 110},
       {"strike", 100},
       {"vol", 0.25},
       {"rate", 0.02},
       {"maturity", 0.5},
       {"type", "put"}},
  };
  auto records = run_points(spec_of("bs_mc", {{"paths", 50000}}), points);
  ASSERT_EQ(records.size(), points.size());
  for (size_t i = 0; i < points.size(); ++i) {
    const auto& r = records[i];
    SCOPED_TRACE(r.dump());
    EXPECT_EQ(r["param_index"], static_cast<int64_t>(i));
    EXPECT_EQ(r["spot"], points[i]["spot"]);  // the set's values are in the record
    double price = r["price"], se = r["std_error"], cf = r["closed_form"];
    OptionSpec o{points[i]["spot"], points[i]["strike"],   points[i]["vol"],
                 points[i]["rate"], points[i]["maturity"], points[i].value("type", "") == "put"};
    EXPECT_DOUBLE_EQ(cf, black_scholes_price(o));
    EXPECT_GT(se, 0);
    EXPECT_LT(std::abs(price - cf), 4 * se);
  }
}

TEST(BsMcKernelTest, SameJobAndIndexGiveTheSameBitsAndOthersDoNot) {
  std::vector<nlohmann::json> points(4, nlohmann::json::object());  // all defaults
  auto spec = spec_of("bs_mc", {{"paths", 2000}});
  auto a = run_points(spec, points, "alpha");
  auto b = run_points(spec, points, "alpha");
  auto c = run_points(spec, points, "beta");
  EXPECT_EQ(a.dump(), b.dump());
  ASSERT_EQ(a.size(), 4u);
  // Each set draws its own numbers, and another job draws others.
  EXPECT_NE(a[0]["price"], a[1]["price"]);
  EXPECT_NE(a[0]["price"], c[0]["price"]);
  // The defaults are the textbook case.
  EXPECT_NEAR(a[0]["closed_form"].get<double>(), 10.4506, 1e-4);
}

TEST(BsMcKernelTest, ArgumentsAreDefaultsThatTheSetOverrides) {
  auto r = run_points(spec_of("bs_mc", {{"paths", 100}, {"vol", 0.3}, {"type", "put"}}),
                      {nlohmann::json::object(), {{"vol", 0.1}}});
  ASSERT_EQ(r.size(), 2u);
  EXPECT_EQ(r[0]["vol"], 0.3);
  EXPECT_EQ(r[0]["type"], "put");
  EXPECT_EQ(r[1]["vol"], 0.1);
}

TEST(BsMcKernelTest, MonteCarloStopsWhenCancelled) {
  CancelFlag cancel{true};
  auto r = monte_carlo_price(OptionSpec{}, 1'000'000, 1, no_stop(cancel));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kCancelled);
}

// --- sir ---------------------------------------------------------------------

// The final-size relation of the SIR model with r(0) = 0:
// s_inf = s0 * exp(-R0 * (1 - s_inf)), solved by bisection on (0, s0).
double final_susceptible(double r0, double s0) {
  double lo = 0, hi = s0;
  for (int k = 0; k < 200; ++k) {
    double mid = (lo + hi) / 2;
    double f = mid - s0 * std::exp(-r0 * (1 - mid));
    (f > 0 ? hi : lo) = mid;
  }
  return (lo + hi) / 2;
}

TEST(SirTest, FinalSizeSatisfiesTheFinalSizeRelation) {
  for (double r0 : {1.5, 2.0, 3.0, 5.0}) {
    SirSpec s;
    s.gamma = 0.1;
    s.beta = r0 * s.gamma;
    s.i0 = 1e-4;
    s.days = 1500;
    s.dt = 0.1;
    SirOutcome o = integrate_sir(s);
    double s_inf = final_susceptible(r0, 1 - s.i0);
    SCOPED_TRACE("R0 = " + std::to_string(r0));
    EXPECT_DOUBLE_EQ(o.r0, r0);
    EXPECT_NEAR(o.final_susceptible, s_inf, 1e-6);
    EXPECT_NEAR(o.final_size, 1 - s_inf, 1e-6);
    // With s0 ~ 1 the relation is the textbook z = 1 - exp(-R0 z).
    EXPECT_NEAR(o.final_size, 1 - std::exp(-r0 * o.final_size), 1e-3);
    EXPECT_GT(o.peak_day, 0);
    EXPECT_GT(o.peak_infected, s.i0);
  }
}

TEST(SirTest, ReproductionNumberBelowOneGivesATinyEpidemic) {
  SirSpec s;
  s.beta = 0.05;
  s.gamma = 0.1;  // R0 = 0.5
  s.i0 = 1e-3;
  s.days = 1000;
  SirOutcome o = integrate_sir(s);
  EXPECT_DOUBLE_EQ(o.peak_infected, s.i0);  // it only shrinks
  EXPECT_EQ(o.peak_day, 0);
  // About i0 / (1 - R0).
  EXPECT_LT(o.final_size, 0.0025);
  EXPECT_NEAR(o.final_size, s.i0 / (1 - 0.5), 1e-4);
}

TEST(SirKernelTest, RecordsTheFourOutputsAndScalesPeakByPopulation) {
  auto r = run_points(spec_of("sir", {{"population", 1000}, {"days", 300}}),
                      {{{"beta", 0.4}, {"gamma", 0.1}}});
  ASSERT_EQ(r.size(), 1u);
  SirSpec s;
  s.beta = 0.4;
  s.days = 300;
  SirOutcome o = integrate_sir(s);
  EXPECT_DOUBLE_EQ(r[0]["r0"].get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(r[0]["peak_infected"].get<double>(), 1000 * o.peak_infected);
  EXPECT_DOUBLE_EQ(r[0]["peak_day"].get<double>(), o.peak_day);
  EXPECT_DOUBLE_EQ(r[0]["final_size"].get<double>(), o.final_size);
  EXPECT_EQ(r[0]["beta"], 0.4);
}

// --- mandelbrot ----------------------------------------------------------------

TEST(MandelbrotTest, KnownPoints) {
  struct Case {
    double x, y;
    int64_t iterations;
    bool inside;
  } cases[] = {
      {0, 0, 256, true},        // a fixed point
      {-1, 0, 256, true},       // the cycle 0, -1, 0, ...
      {-2, 0, 256, true},       // the tip: z = -2, 2, 2, ... stays at |z| = 2
      {0.25, 0, 256, true},     // the cusp of the main cardioid
      {-0.1, 0.6, 256, true},   // inside, near the boundary
      {1, 1, 2, false},         // z1 = 1+i (|z| = 1.41), z2 = 1+3i (|z| = 3.16)
      {0.5, 0, 5, false},       // 0.5, 0.75, 1.0625, 1.6289, 3.1533
      {-0.1, 0.65, 75, false},  // just outside the main cardioid
      {2, 0, 2, false},         // 2, 6
      {-0.75, 0.1, 33, false},  // in the "seahorse valley"
  };
  for (const auto& c : cases) {
    Escape e = mandelbrot_escape(c.x, c.y, 256);
    EXPECT_EQ(e.iterations, c.iterations) << c.x << " + " << c.y << "i";
    EXPECT_EQ(e.inside, c.inside) << c.x << " + " << c.y << "i";
  }
}

TEST(MandelbrotKernelTest, ReadsXYOrCxCyAndHonoursMaxIter) {
  auto r = run_points(spec_of("mandelbrot", {{"max_iter", 50}}),
                      {{{"x", 0}, {"y", 0}}, {{"cx", 1}, {"cy", 1}}, {{"x", -0.1}, {"y", 0.65}}});
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0]["iterations"], 50);
  EXPECT_EQ(r[0]["inside"], true);
  EXPECT_EQ(r[1]["iterations"], 2);
  EXPECT_EQ(r[1]["inside"], false);
  // Escapes at 75 > max_iter 50: counted as inside at this depth.
  EXPECT_EQ(r[2]["iterations"], 50);
  EXPECT_EQ(r[2]["inside"], true);
}

TEST(MandelbrotKernelTest, ACoordinateThatIsMissingFailsTheAttempt) {
  auto kernel = make_kernel(spec_of("mandelbrot", nlohmann::json::object()));
  ASSERT_TRUE(kernel);
  CancelFlag cancel{false};
  auto r = (*kernel)->run({"j", 0, 0, 1, 1,
                           [](int64_t) {
                             return nlohmann::json{{"x", 1}};
                           }},
                          cancel);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::kKernelFailed);
  EXPECT_NE(r.error().message.find("parameter 'y' is missing"), std::string::npos)
      << r.error().message;
}

}  // namespace
}  // namespace ttg::kernels
