/* Helpers shared by the gst suite: models with known weights, frames,
 * reference outputs, temporary files, bus messages.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include <gst/gst.h>
#include <lstm/lstm.h>

G_BEGIN_DECLS

/* A per-process temporary folder, removed with its files by
 * tu_cleanup(). */
const gchar *tu_tmpdir (void);
gchar *tu_tmp_path (const gchar *name);
void tu_cleanup (void);
/* `lstm ARGS...` ($LSTM_TOOL): its standard output; fails the test if it
 * fails. */
gchar *tu_tool_output (const gchar *const *args);

/* A model from an architecture (seeded random weights), optionally with
 * labels; NULL-terminated pairs (tensor name, const float *values) then
 * overwrite tensors with known values. */
LstmModel *tu_model_new (const gchar *arch, LstmTask task,
    const gchar *const *labels, guint64 seed, ...) G_GNUC_NULL_TERMINATED;
/* Saves @model under the temporary folder; returns the path. */
gchar *tu_model_save (LstmModel *model, const gchar *name);

/* n x dim values uniform in [-scale, scale]. */
float *tu_random_frames (gsize n, guint dim, guint32 seed, float scale);
/* The model on @n frames from a fresh state. */
float *tu_reference (LstmModel *model, const float *in, gsize n);
/* The model on the blocks of @in given by @splits (frame counts summing to
 * @n), each from a fresh state: what resets between them give. */
float *tu_reference_blocks (LstmModel *model, const float *in,
    const gsize *splits, guint n_splits);

/* A buffer holding @n frames of @dim floats from @frames. */
GstBuffer *tu_frames_buffer (const float *frames, gsize n, guint dim,
    GstClockTime pts, GstClockTime duration);
/* Asserts that @buf holds exactly @n x @dim floats equal bitwise to
 * @expect. */
void tu_assert_buffer_floats (GstBuffer *buf, const float *expect, gsize n,
    guint dim);

/* Pops every element message named @name (all when NULL) from @bus. */
GPtrArray *tu_pop_element_messages (GstBus *bus, const gchar *name);
/* Pops every message of @type; the first error's GError when asked. */
GstMessage *tu_pop_message (GstBus *bus, GstMessageType type);

gboolean tu_run_to_eos (GstElement *pipeline, GstClockTime timeout,
    GPtrArray *msgs, GstMessage **error_msg);

G_END_DECLS
