/* liblstm: one step of many streams through one model
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * lstm_model_forward_batch() runs the next frame of N independent streams,
 * each with its own LstmState, through one model. Its contract is the
 * per-stream one: stream i's output equals, bit for bit, what
 * lstm_model_forward_checked() gives for that frame on states[i] alone, so a
 * stream's outputs never depend on which other streams share its batches.
 * Today each stream's step is run by the streaming kernels in turn; a
 * kernel that multiplies the weights by the N frames at once must keep
 * that contract (each output's sums in the same order as the one-stream
 * kernel's).
 */
#include "config.h"

#include <string.h>

#include "lstm-private.h"

/**
 * lstm_model_forward_batch:
 * @model: a streamable model
 * @states: (array length=n_states): one state per stream, each created for
 *   @model and each a different state
 * @n_states: streams in the batch; 0 is allowed
 * @policy: what a frame holding a NaN or an infinity does, per stream, as in
 *   lstm_model_forward_checked()
 * @in: (array): @n_states frames of input-size values, stream after stream
 * @out: (array) (out caller-allocates): @n_states frames of output-size
 *   values, stream after stream; must not overlap @in
 * @flags: (nullable) (array) (out caller-allocates): @n_states
 *   #LstmFrameFlags, one per stream
 * @error: return location for a #GError
 *
 * Runs one frame of each of @n_states streams: frame i of @in goes through
 * `states[i]` into frame i of @out. Each stream's output equals, bit for
 * bit, that of lstm_model_forward_checked() on its state alone with the same
 * @policy (a non-finite frame gives zeros and resets that stream only under
 * %LSTM_NAN_POLICY_RESET). With %LSTM_NAN_POLICY_ERROR, a non-finite value
 * in any frame fails the call before any state changes. Streams of one
 * model may be batched from any threads as long as no two calls share a
 * state.
 *
 * Returns: %TRUE on success; %FALSE with @error set when a state is not
 * @model's, the model is not streamable, or under %LSTM_NAN_POLICY_ERROR.
 */
gboolean
lstm_model_forward_batch (LstmModel *model, LstmState *const *states,
    guint n_states, LstmNanPolicy policy, const float *in, float *out,
    guint8 *flags, GError **error)
{
  gsize I, O;
  guint i;

  g_return_val_if_fail (model != NULL, FALSE);
  g_return_val_if_fail (n_states == 0 || (states != NULL && in != NULL &&
          out != NULL), FALSE);
  g_return_val_if_fail ((guint) policy <= LSTM_NAN_POLICY_PASS, FALSE);

  I = model->input_size;
  O = model->output_size;
  for (i = 0; i < n_states; i++) {
    if (states[i] == NULL || states[i]->model != model) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
          "%s: stream %u of the batch has a state of another model",
          model->name ? model->name : "model", i);
      return FALSE;
    }
  }
  if (policy == LSTM_NAN_POLICY_ERROR) {
    /* nothing runs unless every frame is finite */
    for (i = 0; i < n_states; i++)
      if (!lstm_values_are_finite (in + i * I, I)) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s: the frame of stream %u of the batch holds NaN or Inf "
            "(policy error)", model->name ? model->name : "model", i);
        return FALSE;
      }
  }
  for (i = 0; i < n_states; i++)
    if (!lstm_model_forward_checked (model, states[i], policy, in + i * I, 1,
            out + i * O, flags ? flags + i : NULL, NULL, error))
      return FALSE;
  return TRUE;
}
