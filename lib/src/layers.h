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

/* lstm_layer_forward() for inference, on the packed weights (p->pk_*,
 * ready) and k's packed kernels (k->matmul_packed not NULL): the input
 * projections of the T frames as one product, then per frame k->lstm_step
 * (the recurrent product fused with the gates) when H % 8 == 0. The
 * results of a frame do not depend on T. gates: (T, 4H) scratch;
 * gh: (4H) scratch. */
void lstm_layer_forward_packed (const LstmRnnParams *p, guint H,
    gboolean peephole, const LstmKernels *k, const float *x, gsize ldx,
    gsize T, float *h, float *c, float *y, gsize ldy, gboolean reverse,
    float *gates, float *gh);

/* GRU over T frames. reset_after TRUE: PyTorch's cell (the hidden bias sits
 * inside the reset product); FALSE: the original GRU, reset applied to h
 * before the product (layer-gru.c). x: (T, in) stride ldx; h: (H) in/out;
 * y: (T, H) stride ldy; gates: (T, 3H), on return the activated r, z, n of
 * each frame; hn: NULL or (T, H), receives W_hn h(t-1) + b_hn (reset_after)
 * or r * h(t-1) (not), which backward needs; gh: (3H) scratch. */
void lstm_gru_layer_forward (const LstmRnnParams *p, guint H,
    gboolean reset_after, const LstmKernels *k, const float *x, gsize ldx,
    gsize T, float *h, float *y, gsize ldy, gboolean reverse, float *gates,
    float *hn, float *gh);

/* lstm_gru_layer_forward() for inference, on the packed weights (p->pk_*,
 * ready) and k's packed kernels. The results of a frame do not depend on
 * T. gates: (T, 3H) scratch; gh: (3H) scratch. */
void lstm_gru_layer_forward_packed (const LstmRnnParams *p, guint H,
    gboolean reset_after, const LstmKernels *k, const float *x, gsize ldx,
    gsize T, float *h, float *y, gsize ldy, gboolean reverse, float *gates,
    float *gh);

/* The reset-before GRU's two recurrent products as views of the packed
 * W_hh @hh (3H, H): @rz its rows r, z (2H), @n its rows n (H). FALSE when
 * row 2H does not start a group of 8 (H % 4 != 0): then there is no view
 * of the n rows, and those products run on the plain weights. */
gboolean lstm_gru_packed_split (const LstmPackedMatrix *hh, guint H,
    LstmPackedMatrix *rz, LstmPackedMatrix *n);

/* The kernels' id of a model activation. */
LstmKernelAct lstm_activation_to_kernel_act (LstmActivation activation);

/* Linear layer plus activation. x: (T, in); w: (out, in); b: (out) or NULL;
 * y: (T, out), the activated outputs. */
void lstm_linear_layer_forward (const float *w, const float *b,
    LstmActivation activation, guint in, guint out, const LstmKernels *k,
    const float *x, gsize T, float *y);

/* lstm_linear_layer_forward() on a packed weight @pw. */
void lstm_linear_layer_forward_packed (const LstmPackedMatrix *pw,
    const float *b, LstmActivation activation, const LstmKernels *k,
    const float *x, gsize T, float *y);

/* ---- training: backward passes ----
 *
 * Each backward pass runs over the frames of its forward call, in the
 * opposite order, from the caches that forward wrote. Every d* buffer is
 * ACCUMULATED into (+=), so the gradients of several sequences, of both
 * directions of a layer and of every frame add up; clear them once per
 * optimizer step. Gradient views (dp) have the layout of the parameters.
 */

/* LSTM backward over T frames.
 * p: the weights; dp: their gradients (same shapes), accumulated;
 * x: (T, in) stride ldx, the forward's input;
 * h0, c0: (H), the state before the forward's first frame;
 * y: (T, H) stride ldy, the forward's outputs h(t);
 * gates: (T, 4H), activated i, f, g, o; cs: (T, H), c(t) (the forward's
 *   caches);
 * dy: (T, H) stride lddy, gradient of the loss with respect to y;
 * dh, dc: (H) in: gradient with respect to the state after the last frame
 *   (zeros when nothing later depends on it); out: with respect to h0, c0;
 * dx: NULL or (T, in) stride lddx, accumulated gradient of the input;
 * dg: (T, 4H) scratch (pre-activation gate gradients); tmp: (H) scratch;
 * tcs: NULL or (T, H), tanh(c(t)) as the forward computed it (NULL: libm's
 *   tanhf of cs). */
void lstm_layer_backward (const LstmRnnParams *p, const LstmRnnParams *dp,
    guint H, gboolean peephole, const float *x, gsize ldx, gsize T,
    const float *h0, const float *c0, const float *y, gsize ldy,
    gboolean reverse, const float *gates, const float *cs, const float *dy,
    gsize lddy, float *dh, float *dc, float *dx, gsize lddx, float *dg,
    float *tmp, const float *tcs);

/* GRU backward over T frames.
 * p, dp: weights and accumulated gradients; reset_after: the variant
 * (lstm_gru_layer_forward()); x: (T, in) stride ldx;
 * h0: (H), the state before the first frame; y: (T, H) stride ldy;
 * gates: (T, 3H) activated r, z, n; hn: (T, H), the forward's hn cache;
 * dy: (T, H) stride lddy; dh: (H) in: gradient after the last frame,
 *   out: gradient with respect to h0;
 * dx: NULL or (T, in) stride lddx, accumulated;
 * dg: (T, 6H) scratch: per frame the input-side gate gradients (r, z, n)
 *   then the hidden-side ones (r, z, r * n; with reset_after FALSE r, z,
 *   n); tmp: (H) scratch. */
void lstm_gru_layer_backward (const LstmRnnParams *p,
    const LstmRnnParams *dp, guint H, gboolean reset_after, const float *x,
    gsize ldx, gsize T,
    const float *h0, const float *y, gsize ldy, gboolean reverse,
    const float *gates, const float *hn, const float *dy, gsize lddy,
    float *dh, float *dx, gsize lddx, float *dg, float *tmp);

/* Linear backward. w: (out, in); x: (T, in); y: (T, out), the forward's
 * activated outputs; dy: (T, out), gradient with respect to y (with
 * LSTM_ACTIVATION_NONE: with respect to the pre-activation, which is how
 * fused softmax + cross-entropy passes its gradient);
 * dw: (out, in), db: (out) or NULL, accumulated;
 * dx: NULL or (T, in), accumulated; dz: (T, out) scratch. */
void lstm_linear_layer_backward (const float *w, LstmActivation activation,
    guint in, guint out, const float *x, const float *y, const float *dy,
    gsize T, float *dw, float *db, float *dx, float *dz);

G_END_DECLS
