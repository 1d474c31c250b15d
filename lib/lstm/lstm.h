/* liblstm: LSTM/GRU recurrent networks for streaming inference and training
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The one header applications include.
 */
#pragma once

#define __LSTM_H_INSIDE__

#include <lstm/lstm-version.h>
#include <lstm/lstm-error.h>
#include <lstm/lstm-model.h>
#include <lstm/lstm-state.h>
#include <lstm/lstm-nan-policy.h>
#include <lstm/lstm-segments.h>
#include <lstm/lstm-labels.h>
#include <lstm/lstm-features.h>
#include <lstm/lstm-trainer.h>

#undef __LSTM_H_INSIDE__
