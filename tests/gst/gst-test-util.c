/* Helpers shared by the gst suite
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <stdarg.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gst-test-util.h"

static gchar *tmpdir;

const gchar *
tu_tmpdir (void)
{
  if (tmpdir == NULL) {
    g_autoptr (GError) error = NULL;
    tmpdir = g_dir_make_tmp ("gst-lstm-test-XXXXXX", &error);
    g_assert_no_error (error);
  }
  return tmpdir;
}

gchar *
tu_tmp_path (const gchar *name)
{
  return g_build_filename (tu_tmpdir (), name, NULL);
}

static void
remove_tree (const gchar *path)
{
  GDir *dir;
  const gchar *entry;

  if (g_file_test (path, G_FILE_TEST_IS_DIR) &&
      !g_file_test (path, G_FILE_TEST_IS_SYMLINK)) {
    dir = g_dir_open (path, 0, NULL);
    if (dir != NULL) {
      while ((entry = g_dir_read_name (dir)) != NULL) {
        g_autofree gchar *child = g_build_filename (path, entry, NULL);
        remove_tree (child);
      }
      g_dir_close (dir);
    }
    g_rmdir (path);
  } else {
    g_unlink (path);
  }
}

void
tu_cleanup (void)
{
  if (tmpdir != NULL)
    remove_tree (tmpdir);
  g_clear_pointer (&tmpdir, g_free);
}

/* Overwrites the data of tensor @name in safetensors @bytes. */
static void
patch_tensor (guint8 *bytes, gsize size, const gchar *name,
    const float *values)
{
  g_autoptr (JsonParser) parser = json_parser_new ();
  g_autoptr (GError) error = NULL;
  guint64 header_len;
  JsonObject *root, *t;
  JsonArray *offsets;
  gint64 begin, end;

  memcpy (&header_len, bytes, 8);
  header_len = GUINT64_FROM_LE (header_len);
  g_assert_cmpuint (8 + header_len, <=, size);
  json_parser_load_from_data (parser, (const gchar *) bytes + 8,
      (gssize) header_len, &error);
  g_assert_no_error (error);
  root = json_node_get_object (json_parser_get_root (parser));
  g_assert_true (json_object_has_member (root, name));
  t = json_object_get_object_member (root, name);
  g_assert_cmpstr (json_object_get_string_member (t, "dtype"), ==, "F32");
  offsets = json_object_get_array_member (t, "data_offsets");
  begin = json_array_get_int_element (offsets, 0);
  end = json_array_get_int_element (offsets, 1);
  g_assert_cmpuint (8 + header_len + (guint64) end, <=, size);
  memcpy (bytes + 8 + header_len + begin, values, (gsize) (end - begin));
}

LstmModel *
tu_model_new (const gchar *arch, LstmTask task, const gchar *const *labels,
    guint64 seed, ...)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autoptr (GBytes) bytes = NULL;
  LstmModelOptions opts = { 0 };
  const gchar *name;
  guint8 *data;
  gsize size;
  va_list ap;
  LstmModel *res;

  opts.seed = seed;
  opts.task = task;
  opts.labels = labels;
  m = lstm_model_new (arch, &opts, &error);
  g_assert_no_error (error);
  va_start (ap, seed);
  name = va_arg (ap, const gchar *);
  if (name == NULL) {
    va_end (ap);
    return g_steal_pointer (&m);
  }
  bytes = lstm_model_save_to_bytes (m, &error);
  g_assert_no_error (error);
  data = g_bytes_unref_to_data (g_steal_pointer (&bytes), &size);
  for (; name != NULL; name = va_arg (ap, const gchar *))
    patch_tensor (data, size, name, va_arg (ap, const float *));
  va_end (ap);
  bytes = g_bytes_new_take (data, size);
  res = lstm_model_load_from_bytes (bytes, "patched", &error);
  g_assert_no_error (error);
  return res;
}

gchar *
tu_model_save (LstmModel *model, const gchar *name)
{
  g_autoptr (GError) error = NULL;
  gchar *path = tu_tmp_path (name);

  lstm_model_save (model, path, &error);
  g_assert_no_error (error);
  return path;
}

float *
tu_random_frames (gsize n, guint dim, guint32 seed, float scale)
{
  GRand *r = g_rand_new_with_seed (seed);
  float *x = g_new (float, MAX (n * dim, 1));
  gsize i;

  for (i = 0; i < n * dim; i++)
    x[i] = (float) g_rand_double_range (r, -scale, scale);
  g_rand_free (r);
  return x;
}

float *
tu_reference (LstmModel *model, const float *in, gsize n)
{
  return tu_reference_blocks (model, in, &n, 1);
}

float *
tu_reference_blocks (LstmModel *model, const float *in, const gsize *splits,
    guint n_splits)
{
  g_autoptr (GError) error = NULL;
  guint I = lstm_model_get_input_size (model);
  guint O = lstm_model_get_output_size (model);
  gsize total = 0, done = 0;
  guint k;
  float *out;

  for (k = 0; k < n_splits; k++)
    total += splits[k];
  out = g_new (float, MAX (total * O, 1));
  for (k = 0; k < n_splits; k++) {
    g_autoptr (LstmState) st = lstm_state_new (model);
    lstm_model_forward (model, st, in + done * I, splits[k], out + done * O,
        &error);
    g_assert_no_error (error);
    done += splits[k];
  }
  return out;
}

GstBuffer *
tu_frames_buffer (const float *frames, gsize n, guint dim, GstClockTime pts,
    GstClockTime duration)
{
  GstBuffer *buf = gst_buffer_new_memdup (frames, n * dim * sizeof (float));

  GST_BUFFER_PTS (buf) = pts;
  GST_BUFFER_DURATION (buf) = duration;
  return buf;
}

void
tu_assert_buffer_floats (GstBuffer *buf, const float *expect, gsize n,
    guint dim)
{
  GstMapInfo map;

  g_assert_true (gst_buffer_map (buf, &map, GST_MAP_READ));
  g_assert_cmpuint (map.size, ==, n * dim * sizeof (float));
  if (memcmp (map.data, expect, map.size) != 0) {
    const float *got = (const float *) map.data;
    gsize i;
    for (i = 0; i < n * dim; i++)
      if (memcmp (&got[i], &expect[i], sizeof (float)) != 0)
        g_error ("frame %" G_GSIZE_FORMAT " value %" G_GSIZE_FORMAT
            ": got %.9g, expected %.9g", i / dim, i % dim, got[i],
            expect[i]);
  }
  gst_buffer_unmap (buf, &map);
}

GPtrArray *
tu_pop_element_messages (GstBus *bus, const gchar *name)
{
  GPtrArray *res = g_ptr_array_new_with_free_func (
      (GDestroyNotify) gst_message_unref);
  GList *kept = NULL, *l;
  GstMessage *msg;

  while ((msg = gst_bus_pop (bus)) != NULL) {
    const GstStructure *s = gst_message_get_structure (msg);
    if (GST_MESSAGE_TYPE (msg) == GST_MESSAGE_ELEMENT && s != NULL &&
        (name == NULL || gst_structure_has_name (s, name)))
      g_ptr_array_add (res, msg);
    else
      kept = g_list_prepend (kept, msg);
  }
  /* put the others back, in order */
  kept = g_list_reverse (kept);
  for (l = kept; l != NULL; l = l->next)
    gst_bus_post (bus, l->data);
  g_list_free (kept);
  return res;
}

GstMessage *
tu_pop_message (GstBus *bus, GstMessageType type)
{
  return gst_bus_pop_filtered (bus, type);
}

/* Runs @pipeline to EOS; TRUE on EOS, FALSE with @error on an ERROR.
 * Element messages are collected in @msgs when given. */
gboolean
tu_run_to_eos (GstElement *pipeline, GstClockTime timeout, GPtrArray *msgs,
    GstMessage **error_msg)
{
  GstBus *bus = gst_element_get_bus (pipeline);
  gboolean ok = FALSE, done = FALSE;

  if (gst_element_set_state (pipeline, GST_STATE_PLAYING) ==
      GST_STATE_CHANGE_FAILURE)
    done = TRUE;
  while (!done) {
    GstMessage *msg = gst_bus_timed_pop_filtered (bus, timeout,
        GST_MESSAGE_EOS | GST_MESSAGE_ERROR | GST_MESSAGE_ELEMENT);
    if (msg == NULL)
      g_error ("the pipeline did not finish within %" GST_TIME_FORMAT,
          GST_TIME_ARGS (timeout));
    switch (GST_MESSAGE_TYPE (msg)) {
      case GST_MESSAGE_EOS:
        ok = done = TRUE;
        break;
      case GST_MESSAGE_ERROR:
        done = TRUE;
        if (error_msg)
          *error_msg = gst_message_ref (msg);
        break;
      default:
        if (msgs)
          g_ptr_array_add (msgs, gst_message_ref (msg));
        break;
    }
    gst_message_unref (msg);
  }
  /* errors posted at a failed state change */
  if (!ok && error_msg && *error_msg == NULL)
    *error_msg = gst_bus_pop_filtered (bus, GST_MESSAGE_ERROR);
  gst_element_set_state (pipeline, GST_STATE_NULL);
  gst_object_unref (bus);
  return ok;
}

/* Runs `lstm ARGS...` ($LSTM_TOOL); returns its standard output, or fails
 * the test if it fails. */
gchar *
tu_tool_output (const gchar *const *args)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autoptr (GError) error = NULL;
  g_autofree gchar *err = NULL;
  gchar *out = NULL;
  const gchar *tool = g_getenv ("LSTM_TOOL");
  gint status = 0;

  g_assert_nonnull (tool);
  g_ptr_array_add (argv, (gpointer) tool);
  for (; *args; args++)
    g_ptr_array_add (argv, (gpointer) *args);
  g_ptr_array_add (argv, NULL);
  g_spawn_sync (NULL, (gchar **) argv->pdata, NULL, G_SPAWN_DEFAULT, NULL,
      NULL, &out, &err, &status, &error);
  g_assert_no_error (error);
  if (!g_spawn_check_wait_status (status, NULL))
    g_error ("lstm failed: %s", err);
  return out;
}
