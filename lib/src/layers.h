/* liblstm: per-layer forward (and, with training, backward) passes
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One direction of one stacked sub-layer per call. Gate order is stated in
 * lstm-private.h. Weights come as LstmRnnParams views into the model's flat
 * parameter buffer.
 */
#pragma once

#include "lstm-private.h"

G_BEGIN_DECLS

/* LSTM over T frames, in time order or reversed.
 * x: (T, in) stride ldx; h, c: (H) in/out (state before the first frame,
 * after the last); y: (T, H) stride ldy, receives h(t);
 * gates: (T, 4H), on return the activated i, f, g, o of each frame;
 * cs: NULL or (T, H), receives c(t) (backward needs it); gh: (4H) scratch. */
void lstm_layer_forward (const LstmRnnParams *p, guint H, gboolean peephole,
    const LstmKernels *k, const float *x, gsize ldx, gsize T, float *h,
    float *c, float *y, gsize ldy, gboolean reverse, float *gates, float *cs,
    float *gh);

/* GRU over T frames (PyTorch: the hidden bias sits inside the reset
 * product). x: (T, in) stride ldx; h: (H) in/out; y: (T, H) stride ldy;
 * gates: (T, 3H), on return the activated r, z, n of each frame;
 * hn: NULL or (T, H), receives W_hn h(t-1) + b_hn (backward needs it);
 * gh: (3H) scratch. */
void lstm_gru_layer_forward (const LstmRnnParams *p, guint H,
    const LstmKernels *k, const float *x, gsize ldx, gsize T, float *h,
    float *y, gsize ldy, gboolean reverse, float *gates, float *hn,
    float *gh);

/* Linear layer plus activation. x: (T, in); w: (out, in); b: (out) or NULL;
 * y: (T, out), the activated outputs. */
void lstm_linear_layer_forward (const float *w, const float *b,
    LstmActivation activation, guint in, guint out, const LstmKernels *k,
    const float *x, gsize T, float *y);

G_END_DECLS
