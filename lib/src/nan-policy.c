/* liblstm: the non-finite input policy of the model's forward
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One implementation for every front end (lstminfer, `lstm run`): which
 * frames are non-finite, where a burst of them starts, the zeros they give
 * and the state reset. The samples' side is lstm_features_process_checked()
 * in features.c.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lstm-private.h"

static const gchar *const policy_names[] = { "reset", "error", "pass" };

/**
 * lstm_nan_policy_to_string:
 * @policy: a policy
 *
 * Returns: its name: "reset", "error" or "pass"; %NULL for an invalid
 *   value.
 */
const gchar *
lstm_nan_policy_to_string (LstmNanPolicy policy)
{
  if ((guint) policy >= G_N_ELEMENTS (policy_names))
    return NULL;
  return policy_names[policy];
}

/**
 * lstm_nan_policy_from_string:
 * @str: "reset", "error" or "pass"
 * @policy: (out): the policy
 *
 * Returns: %TRUE if @str names a policy.
 */
gboolean
lstm_nan_policy_from_string (const gchar *str, LstmNanPolicy *policy)
{
  guint i;

  g_return_val_if_fail (policy != NULL, FALSE);
  for (i = 0; str && i < G_N_ELEMENTS (policy_names); i++)
    if (strcmp (str, policy_names[i]) == 0) {
      *policy = (LstmNanPolicy) i;
      return TRUE;
    }
  return FALSE;
}

/**
 * lstm_values_are_finite:
 * @values: (array length=n): values
 * @n: how many
 *
 * Returns: %TRUE if no value is a NaN or an infinity.
 */
gboolean
lstm_values_are_finite (const float *values, gsize n)
{
  gsize i;

  g_return_val_if_fail (values != NULL || n == 0, FALSE);
  for (i = 0; i < n; i++)
    if (!isfinite (values[i]))
      return FALSE;
  return TRUE;
}

/* %LSTM_NAN_POLICY_ERROR: an error naming the first non-finite value of
 * @n_frames frames of @model's input. */
static gboolean
check_finite (LstmModel *model, const float *in, gsize n_frames,
    GError **error)
{
  const gsize I = model->input_size;
  gsize t;

  for (t = 0; t < n_frames * I; t++)
    if (!isfinite (in[t])) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: frame %" G_GSIZE_FORMAT " holds a non-finite value (value %"
          G_GSIZE_FORMAT " is %s)", model->name, t / I, t % I,
          isnan (in[t]) ? "NaN" : in[t] > 0 ? "+Inf" : "-Inf");
      return FALSE;
    }
  return TRUE;
}

/**
 * lstm_model_forward_checked:
 * @model: a streamable model
 * @state: the stream's state, created for @model; updated
 * @policy: what to do with frames holding a NaN or an infinity
 * @in: (array): @n_frames x input-size values
 * @n_frames: how many frames; 0 is allowed
 * @out: (array) (out caller-allocates): @n_frames x output-size values;
 *   must not overlap @in
 * @flags: (nullable) (array) (out caller-allocates): @n_frames
 *   #LstmFrameFlags, one per frame; all %LSTM_FRAME_FINITE with
 *   %LSTM_NAN_POLICY_PASS, which does not look at the values
 * @n_bursts: (nullable) (out): how many bursts of non-finite frames start
 *   in this call (one continuing from the previous call is not counted
 *   again)
 * @error: return location for a #GError
 *
 * lstm_model_forward() with a policy for non-finite input:
 *
 * - %LSTM_NAN_POLICY_RESET: each finite frame is run as
 *   lstm_model_forward() runs it; a frame holding a NaN or an infinity
 *   gives an output frame of zeros and zeroes the recurrent state, so the
 *   outputs from the next finite frame on equal a fresh run started there.
 *   Chunking invariance holds: the outputs are bitwise identical however
 *   the frames are split into calls.
 * - %LSTM_NAN_POLICY_ERROR: a non-finite value fails the call with
 *   %LSTM_ERROR_FORMAT naming the frame and the value; then nothing is
 *   run and @state is unchanged.
 * - %LSTM_NAN_POLICY_PASS: exactly lstm_model_forward().
 *
 * The state remembers whether the last frame it saw here was non-finite,
 * so that a burst spanning calls (buffers) is reported once; this survives
 * lstm_state_reset().
 *
 * Returns: %TRUE on success; %FALSE with @error set as lstm_model_forward()
 * fails, or for a non-finite value under %LSTM_NAN_POLICY_ERROR.
 */
gboolean
lstm_model_forward_checked (LstmModel *model, LstmState *state,
    LstmNanPolicy policy, const float *in, gsize n_frames, float *out,
    guint8 *flags, gsize *n_bursts, GError **error)
{
  gsize t, start = 0, bursts = 0, I, O;

  g_return_val_if_fail (model != NULL && state != NULL, FALSE);
  g_return_val_if_fail (n_frames == 0 || (in != NULL && out != NULL), FALSE);
  g_return_val_if_fail ((guint) policy <= LSTM_NAN_POLICY_PASS, FALSE);

  if (n_bursts)
    *n_bursts = 0;
  if (flags && n_frames > 0)
    memset (flags, LSTM_FRAME_FINITE, n_frames);
  /* the model and state checks, before any work */
  if (!lstm_model_forward (model, state, NULL, 0, NULL, error))
    return FALSE;
  if (policy == LSTM_NAN_POLICY_PASS)
    return lstm_model_forward (model, state, in, n_frames, out, error);

  I = model->input_size;
  O = model->output_size;
  if (policy == LSTM_NAN_POLICY_ERROR) {
    if (!check_finite (model, in, n_frames, error))
      return FALSE;
    return lstm_model_forward (model, state, in, n_frames, out, error);
  }

  for (t = 0; t < n_frames; t++) {
    if (lstm_values_are_finite (in + t * I, I)) {
      state->nonfinite_tail = FALSE;
      continue;
    }
    /* the finite frames before it, then zeros and a fresh state */
    if (t > start && !lstm_model_forward (model, state, in + start * I,
            t - start, out + start * O, error))
      return FALSE;
    memset (out + t * O, 0, O * sizeof (float));
    lstm_state_reset (state);
    if (flags)
      flags[t] = LSTM_FRAME_NONFINITE | (state->nonfinite_tail ? 0 :
          LSTM_FRAME_BURST_START);
    if (!state->nonfinite_tail)
      bursts++;
    state->nonfinite_tail = TRUE;
    start = t + 1;
  }
  if (n_frames > start && !lstm_model_forward (model, state,
          in + start * I, n_frames - start, out + start * O, error))
    return FALSE;
  if (n_bursts)
    *n_bursts = bursts;
  return TRUE;
}

/**
 * lstm_model_forward_sequence_checked:
 * @model: a model, bidirectional layers allowed
 * @policy: what to do with frames holding a NaN or an infinity
 * @in: (array): @n_frames x input-size values, one whole sequence
 * @n_frames: how many frames
 * @out: (array) (out caller-allocates): @n_frames x output-size values
 * @flags: (nullable) (array) (out caller-allocates): @n_frames
 *   #LstmFrameFlags (all %LSTM_FRAME_FINITE with %LSTM_NAN_POLICY_PASS)
 * @error: return location for a #GError
 *
 * lstm_model_forward_sequence() with the policy of
 * lstm_model_forward_checked(): under %LSTM_NAN_POLICY_RESET each stretch
 * of finite frames is run as a sequence of its own (from a zero state, in
 * both directions) and the non-finite frames give zeros.
 *
 * Returns: %TRUE on success.
 */
gboolean
lstm_model_forward_sequence_checked (LstmModel *model, LstmNanPolicy policy,
    const float *in, gsize n_frames, float *out, guint8 *flags,
    GError **error)
{
  gsize t, start = 0, I, O;
  gboolean prev_bad = FALSE;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (n_frames == 0 || (in != NULL && out != NULL), FALSE);
  g_return_val_if_fail ((guint) policy <= LSTM_NAN_POLICY_PASS, FALSE);

  if (flags && n_frames > 0)
    memset (flags, LSTM_FRAME_FINITE, n_frames);
  if (policy == LSTM_NAN_POLICY_PASS)
    return lstm_model_forward_sequence (model, in, n_frames, out, error);
  I = model->input_size;
  O = model->output_size;
  if (policy == LSTM_NAN_POLICY_ERROR) {
    if (!check_finite (model, in, n_frames, error))
      return FALSE;
    return lstm_model_forward_sequence (model, in, n_frames, out, error);
  }
  for (t = 0; t <= n_frames; t++) {
    gboolean bad = t < n_frames && !lstm_values_are_finite (in + t * I, I);
    if (t < n_frames && !bad) {
      prev_bad = FALSE;
      continue;
    }
    if (t > start && !lstm_model_forward_sequence (model, in + start * I,
            t - start, out + start * O, error))
      return FALSE;
    if (bad) {
      memset (out + t * O, 0, O * sizeof (float));
      if (flags)
        flags[t] = LSTM_FRAME_NONFINITE | (prev_bad ? 0 :
            LSTM_FRAME_BURST_START);
      prev_bad = TRUE;
    }
    start = t + 1;
  }
  return TRUE;
}
