/* liblstm: per-stream recurrent state
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__LSTM_H_INSIDE__) && !defined(LSTM_COMPILATION)
#error "Only <lstm/lstm.h> can be included directly."
#endif

#include <glib.h>
#include <lstm/lstm-version.h>
#include <lstm/lstm-model.h>

G_BEGIN_DECLS

/**
 * LstmPrecision:
 * @LSTM_PRECISION_FP32: float32 weights and arithmetic (the default)
 * @LSTM_PRECISION_BF16: the weight matrices stored as bfloat16 (rounded to
 *   nearest even), half the bytes streamed per frame; products accumulate
 *   in float32. Where the CPU has AVX512-BF16 the inputs of each product
 *   are rounded to bfloat16 too (vdpbf16ps); elsewhere the weights are
 *   widened to float32 on the fly. Biases, peepholes, states and
 *   activations stay float32.
 *
 * The precision of a state's forward computation.
 */
typedef enum {
  LSTM_PRECISION_FP32,
  LSTM_PRECISION_BF16,
} LstmPrecision;

LSTM_API LstmState *lstm_state_new (LstmModel *model);
LSTM_API LstmState *lstm_state_new_with_precision (LstmModel *model,
    LstmPrecision precision, GError **error);
LSTM_API LstmPrecision lstm_state_get_precision (const LstmState *state);
LSTM_API gboolean lstm_precision_from_string (const gchar *str,
    LstmPrecision *precision, GError **error);
LSTM_API const gchar *lstm_precision_to_string (LstmPrecision precision);
LSTM_API LstmState *lstm_state_copy (const LstmState *state);
LSTM_API void lstm_state_reset (LstmState *state);
LSTM_API void lstm_state_free (LstmState *state);
LSTM_API LstmModel *lstm_state_get_model (const LstmState *state);
LSTM_API const gchar *lstm_state_get_kernels (const LstmState *state);
LSTM_API gboolean lstm_state_set_hidden (LstmState *state, guint layer,
    const float *h, const float *c, GError **error);
LSTM_API gboolean lstm_state_get_hidden (const LstmState *state, guint layer,
    float *h, float *c, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmState, lstm_state_free)

G_END_DECLS
