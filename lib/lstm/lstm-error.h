/* liblstm: error domain
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#if !defined(__LSTM_H_INSIDE__) && !defined(LSTM_COMPILATION)
#error "Only <lstm/lstm.h> can be included directly."
#endif

#include <glib.h>
#include <lstm/lstm-version.h>

G_BEGIN_DECLS

/**
 * LSTM_ERROR:
 *
 * The error domain of every #GError that liblstm returns.
 */
#define LSTM_ERROR (lstm_error_quark ())

/**
 * LstmError:
 * @LSTM_ERROR_IO: a file could not be opened, read, written or renamed.
 * @LSTM_ERROR_FORMAT: the bytes are not a valid model, data or config file:
 *   truncated data, bad JSON, offsets out of range or overlapping, unknown
 *   dtype, non-finite weights, unparsable numbers; non-finite input
 *   frames or samples under %LSTM_NAN_POLICY_ERROR.
 * @LSTM_ERROR_SHAPE: sizes disagree: a tensor's shape differs from what the
 *   architecture needs, a frame has the wrong number of values, a tensor is
 *   missing or unexpected.
 * @LSTM_ERROR_UNSUPPORTED: well-formed input asking for something liblstm
 *   does not do: an unknown layer type or activation, a dtype it cannot
 *   widen, PyTorch's `proj_size`, a bidirectional layer in streaming use.
 * @LSTM_ERROR_ARGUMENT: a value is out of range: a size of zero, an absurd
 *   hidden size, a state for another model, an unknown option.
 * @LSTM_ERROR_DIVERGED: training produced a non-finite loss or gradient.
 *
 * Error codes in the #LSTM_ERROR domain. Messages name the file, tensor or
 * value at fault.
 */
typedef enum {
  LSTM_ERROR_IO,
  LSTM_ERROR_FORMAT,
  LSTM_ERROR_SHAPE,
  LSTM_ERROR_UNSUPPORTED,
  LSTM_ERROR_ARGUMENT,
  LSTM_ERROR_DIVERGED,
} LstmError;

LSTM_API GQuark lstm_error_quark (void);

G_END_DECLS
