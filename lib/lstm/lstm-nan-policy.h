/* liblstm: what to do with frames and samples holding NaN or Inf
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
 * LstmNanPolicy:
 * @LSTM_NAN_POLICY_RESET: the default of every front end. A frame holding
 *   a NaN or an infinity gives an output frame of zeros and resets the
 *   recurrent state: from the next finite frame on, the outputs equal those
 *   of a fresh run started there. For audio, a window holding a non-finite
 *   sample gives one frame of zeros and the framing restarts at the next
 *   finite sample. Consecutive non-finite frames (or samples) form one
 *   *burst*, which front ends report once.
 * @LSTM_NAN_POLICY_ERROR: a non-finite value is an error
 *   (%LSTM_ERROR_FORMAT); nothing of the call is processed.
 * @LSTM_NAN_POLICY_PASS: values go to the model as they are, unchecked, as
 *   lstm_model_forward() does: a NaN then propagates through the recurrent
 *   state to every later output until the state is reset.
 *
 * What to do with non-finite input (lstminfer's and lstmfeatures'
 * `nan-policy`, `lstm run --nan-policy`).
 */
typedef enum {
  LSTM_NAN_POLICY_RESET,
  LSTM_NAN_POLICY_ERROR,
  LSTM_NAN_POLICY_PASS,
} LstmNanPolicy;

/**
 * LstmFrameFlags:
 * @LSTM_FRAME_FINITE: the frame's values are all finite.
 * @LSTM_FRAME_NONFINITE: the frame holds a NaN or an infinity.
 * @LSTM_FRAME_BURST_START: set with %LSTM_FRAME_NONFINITE on the first
 *   frame of a burst: the frame before it, in this call or the previous
 *   call on the same state, was finite.
 *
 * Per-frame report of lstm_model_forward_checked().
 */
typedef enum {
  LSTM_FRAME_FINITE = 0,
  LSTM_FRAME_NONFINITE = 1 << 0,
  LSTM_FRAME_BURST_START = 1 << 1,
} LstmFrameFlags;

LSTM_API const gchar *lstm_nan_policy_to_string (LstmNanPolicy policy);
LSTM_API gboolean lstm_nan_policy_from_string (const gchar *str,
    LstmNanPolicy *policy);
LSTM_API gboolean lstm_values_are_finite (const float *values, gsize n);

LSTM_API gboolean lstm_model_forward_checked (LstmModel *model,
    LstmState *state, LstmNanPolicy policy, const float *in, gsize n_frames,
    float *out, guint8 *flags, gsize *n_bursts, GError **error);
LSTM_API gboolean lstm_model_forward_batch (LstmModel *model,
    LstmState *const *states, guint n_states, LstmNanPolicy policy,
    const float *in, float *out, guint8 *flags, GError **error);
LSTM_API gboolean lstm_model_forward_sequence_checked (LstmModel *model,
    LstmNanPolicy policy, const float *in, gsize n_frames, float *out,
    guint8 *flags, GError **error);

G_END_DECLS
