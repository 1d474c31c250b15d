/* liblstm: the lags of new forecasters and their least-squares start
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Rules from the training rows alone: a season found by autocorrelation,
 * the lags 0..p-1 with p chosen by AIC among linear autoregressions (the
 * longest tried: two seasons and a bit, at least 12, at most a quarter of
 * the rows), and the least-squares coefficients of that autoregression,
 * which start the head's skip weights so that training begins from AR(p).
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "autoreg.h"

guint
lstm_autoreg_find_season (const float *x, gsize n, guint stride, guint col)
{
  g_autofree double *d = NULL;
  double mean = 0, var = 0, best_r = LSTM_AUTOREG_SEASON_MIN_ACF;
  gsize t, m;
  guint lag, max_lag, best = 1;
  double *r;

  if (n < 16)
    return 1;
  m = n - 1;
  /* first differences: a trend would make every lag look alike */
  d = g_new (double, m);
  for (t = 0; t < m; t++)
    d[t] = (double) x[(t + 1) * stride + col] - x[t * stride + col];
  for (t = 0; t < m; t++)
    mean += d[t];
  mean /= m;
  for (t = 0; t < m; t++) {
    d[t] -= mean;
    var += d[t] * d[t];
  }
  if (!(var > 0))
    return 1;
  max_lag = (guint) MIN (m / 4, LSTM_AUTOREG_SEASON_MAX);
  if (max_lag < 3)
    return 1;
  r = g_new0 (double, max_lag + 2);
  for (lag = 1; lag <= max_lag + 1 && lag < m; lag++) {
    double s = 0;
    for (t = lag; t < m; t++)
      s += d[t] * d[t - lag];
    r[lag] = s / var;
  }
  /* the shortest local maximum of the autocorrelation above the bar and
   * within 90% of the strongest (a season's multiples peak too) */
  for (lag = 2; lag <= max_lag; lag++)
    if (r[lag] > best_r && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1])
      best_r = r[lag];
  for (lag = 2; lag <= max_lag && best == 1; lag++)
    if (r[lag] >= 0.9 * best_r && r[lag] > LSTM_AUTOREG_SEASON_MIN_ACF &&
        r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1])
      best = lag;
  g_free (r);
  return best;
}

/* Least squares of the @O targets on an intercept and @k features by the
 * normal equations (Cholesky, in double; the features are standardised,
 * a ridge of 1e-9 of the trace keeps it definite). A: (m, k) features,
 * Y: (m, O). B: (k + 1, O), the intercept first. Returns the residual sum
 * of squares over all targets, or -1 if the system is singular. */
static double
least_squares (const double *A, const double *Y, gsize m, guint k, guint O,
    double *B)
{
  guint K = k + 1, i, j, o;
  g_autofree double *G = g_new0 (double, (gsize) K * K);
  g_autofree double *R = g_new0 (double, (gsize) K * O);
  double trace = 0, rss = 0;
  gsize r;

  for (r = 0; r < m; r++) {
    const double *a = A + r * k;
    for (i = 0; i < K; i++) {
      double ai = i == 0 ? 1.0 : a[i - 1];
      for (j = 0; j <= i; j++)
        G[i * K + j] += ai * (j == 0 ? 1.0 : a[j - 1]);
      for (o = 0; o < O; o++)
        R[i * O + o] += ai * Y[r * O + o];
    }
  }
  for (i = 0; i < K; i++)
    trace += G[i * K + i];
  for (i = 0; i < K; i++)
    G[i * K + i] += 1e-9 * trace / K;
  /* G = L L^T, in place (lower triangle) */
  for (j = 0; j < K; j++) {
    double s = G[j * K + j];
    guint c;
    for (c = 0; c < j; c++)
      s -= G[j * K + c] * G[j * K + c];
    if (!(s > 0))
      return -1;
    G[j * K + j] = sqrt (s);
    for (i = j + 1; i < K; i++) {
      double v = G[i * K + j];
      for (c = 0; c < j; c++)
        v -= G[i * K + c] * G[j * K + c];
      G[i * K + j] = v / G[j * K + j];
    }
  }
  for (o = 0; o < O; o++) {
    /* L z = R, then L^T b = z */
    for (i = 0; i < K; i++) {
      double v = R[i * O + o];
      for (j = 0; j < i; j++)
        v -= G[i * K + j] * B[j * O + o];
      B[i * O + o] = v / G[i * K + i];
    }
    for (i = K; i-- > 0;) {
      double v = B[i * O + o];
      for (j = i + 1; j < K; j++)
        v -= G[j * K + i] * B[j * O + o];
      B[i * O + o] = v / G[i * K + i];
    }
  }
  for (r = 0; r < m; r++)
    for (o = 0; o < O; o++) {
      double e = Y[r * O + o] - B[o];
      for (i = 0; i < k; i++)
        e -= A[r * k + i] * B[(i + 1) * O + o];
      rss += e * e;
    }
  return rss;
}

/* Rows t in [from, n): features z[t - lags[q]] (every input), targets y[t]. */
static double
fit_rows (const float *z, const float *y, gsize n, guint I, guint O,
    const guint *lags, guint n_lags, gsize from, double *B)
{
  gsize m = n - from, r;
  guint k = n_lags * I, q, j, o;
  g_autofree double *A = g_new (double, m * k);
  g_autofree double *Y = g_new (double, m * O);

  for (r = 0; r < m; r++) {
    gsize t = from + r;
    for (q = 0; q < n_lags; q++)
      for (j = 0; j < I; j++)
        A[r * k + q * I + j] = z[(t - lags[q]) * I + j];
    for (o = 0; o < O; o++)
      Y[r * O + o] = y[t * O + o];
  }
  return least_squares (A, Y, m, k, O, B);
}

guint *
lstm_autoreg_choose_lags (const float *z, const float *y, gsize n, guint I,
    guint O, guint season, guint *n_lags)
{
  guint p_max = (guint) MIN (MAX (LSTM_AUTOREG_MIN_AR_ORDER,
          2 * (gsize) season + 1), n / 4), p, best = 1, q;
  double best_aic = INFINITY;
  gsize from;
  guint *lags;

  p_max = MIN (p_max, LSTM_SERIES_MAX_LAGS);
  p_max = MIN (p_max, LSTM_AUTOREG_MAX_COLUMNS / MAX (I, 1));
  if (p_max < 1)
    p_max = 1;
  /* every order on the same rows [from, n) */
  from = p_max - 1;
  if (n > from + LSTM_AUTOREG_MAX_ROWS)
    from = n - LSTM_AUTOREG_MAX_ROWS;
  lags = g_new (guint, p_max);
  for (q = 0; q < p_max; q++)
    lags[q] = q;
  for (p = 1; p <= p_max && n > p_max + (gsize) p * I + 2; p++) {
    g_autofree double *B = g_new (double, ((gsize) p * I + 1) * O);
    double rss = fit_rows (z, y, n, I, O, lags, p, from, B);
    gsize m = n - from;
    double aic;
    if (rss < 0)
      break;
    aic = m * O * log (MAX (rss, 1e-300) / (m * O)) + 2.0 * (p * I + 1) * O;
    if (aic < best_aic) {
      best_aic = aic;
      best = p;
    }
  }
  *n_lags = best;
  return g_renew (guint, lags, best);
}

gboolean
lstm_autoreg_fit (const float *z, const float *y, gsize n, guint I, guint O,
    const guint *lags, guint n_lags, float *w, float *b)
{
  guint max_lag = 0, q, k = n_lags * I, i, o;
  g_autofree double *B = NULL;

  gsize from;

  for (q = 0; q < n_lags; q++)
    max_lag = MAX (max_lag, lags[q]);
  if (n <= max_lag + (gsize) k + 2 || k > LSTM_AUTOREG_MAX_COLUMNS)
    return FALSE;
  from = max_lag;
  if (n > from + LSTM_AUTOREG_MAX_ROWS)
    from = n - LSTM_AUTOREG_MAX_ROWS;
  B = g_new (double, ((gsize) k + 1) * O);
  if (fit_rows (z, y, n, I, O, lags, n_lags, from, B) < 0)
    return FALSE;
  for (o = 0; o < O; o++) {
    b[o] = (float) B[o];
    for (i = 0; i < k; i++)
      w[(gsize) o * k + i] = (float) B[(i + 1) * O + o];
  }
  return TRUE;
}
