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

LSTM_API LstmState *lstm_state_new (LstmModel *model);
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
