/* liblstm: the lags of new forecasters and their least-squares start
 * (autoreg.c), which lstm_model_new_for_series() (series.c) applies
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "lstm-private.h"

G_BEGIN_DECLS

/* a season is a lag whose autocorrelation of first differences is a local
 * maximum above this, among lags 2..MIN (rows / 4, SEASON_MAX) */
#define LSTM_AUTOREG_SEASON_MIN_ACF 0.3
#define LSTM_AUTOREG_SEASON_MAX 64
#define LSTM_AUTOREG_MIN_AR_ORDER 12
/* Bounds of the least-squares fits, so that wide frames or long seasons
 * cost neither gigabytes nor hours: at most this many coefficients per
 * target (lags x inputs; beyond it a listed lag set gets no least-squares
 * start and the order search stops below it), fitted on at most the last
 * this many rows. */
#define LSTM_AUTOREG_MAX_COLUMNS 512
#define LSTM_AUTOREG_MAX_ROWS 50000

/* The season of column @col of @x ((n, stride) row-major), or 1 for none. */
guint lstm_autoreg_find_season (const float *x, gsize n, guint stride,
    guint col);
/* Lags 0..p-1 (in frames; frame t predicts row t + 1), p chosen by AIC
 * among least-squares fits of the targets @y ((n, O)) on the lagged inputs
 * @z ((n, I), normalised), p at most MIN (MAX (12, 2 season + 1), n / 4). */
guint *lstm_autoreg_choose_lags (const float *z, const float *y, gsize n,
    guint I, guint O, guint season, guint *n_lags);
/* The least-squares fit of @y on an intercept and @z at @lags, on the rows
 * that have every lag: w (O, n_lags * I), b (O). FALSE if too few rows or
 * singular. */
gboolean lstm_autoreg_fit (const float *z, const float *y, gsize n, guint I,
    guint O, const guint *lags, guint n_lags, float *w, float *b);

G_END_DECLS
