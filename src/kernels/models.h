#pragma once
// The computations of the built-in model kernels, free of JSON and of the
// chunk loop, so tests can hold them against known answers.

#include <cstdint>

#include "kernels/kernel.h"

namespace ttg::kernels {

// --- bs_mc: a European option under Black-Scholes --------------------------

struct OptionSpec {
  double spot = 100;    // S0 > 0
  double strike = 100;  // K > 0
  double vol = 0.2;     // sigma > 0, per year
  double rate = 0.05;   // r, continuously compounded, per year
  double maturity = 1;  // T > 0, years
  bool put = false;     // false: call
};

// The Black-Scholes formula.
double black_scholes_price(const OptionSpec& o);

struct McPrice {
  double price = 0;
  double std_error = 0;  // of `price`
};

// The discounted mean payoff over `paths` (>= 2) terminal prices drawn
// exactly from the log-normal law with random numbers from `seed`. Checks
// `stop` every 65,536 paths.
Result<McPrice> monte_carlo_price(const OptionSpec& o, int64_t paths, uint64_t seed,
                                  const StopCondition& stop);

// --- sir: the SIR epidemic model, normalised (s + i + r = 1) -----------------

struct SirSpec {
  double beta = 0.3;   // infections per infected per day (>= 0)
  double gamma = 0.1;  // recoveries per infected per day (> 0)
  double i0 = 0.001;   // infected fraction on day 0, in (0, 1); s0 = 1 - i0, r0 = 0
  double days = 160;   // horizon (> 0)
  double dt = 0.1;     // RK4 step (> 0); the horizon is cut into round(days / dt) equal steps
};

struct SirOutcome {
  double peak_infected = 0;  // the largest infected fraction on the step grid
  double peak_day = 0;       // when it happened (0 when the epidemic only shrinks)
  double final_size = 0;     // the recovered fraction at the horizon
  double final_susceptible = 0;
  double r0 = 0;  // beta / gamma
};

// Integrates ds = -beta s i, di = beta s i - gamma i, dr = gamma i with the
// classical fourth-order Runge-Kutta method.
SirOutcome integrate_sir(const SirSpec& spec);

// --- mandelbrot: escape time -----------------------------------------------

struct Escape {
  // The first n in [1, max_iter] with |z_n| > 2, where z_0 = 0 and
  // z_{n+1} = z_n^2 + c; max_iter when there is none.
  int64_t iterations = 0;
  // True when |z_n| <= 2 for every n <= max_iter (c is taken to be in the set).
  bool inside = false;
};

Escape mandelbrot_escape(double cx, double cy, int64_t max_iter);

}  // namespace ttg::kernels
