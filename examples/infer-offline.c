/* infer-offline: liblstm without GStreamer.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Loads a model, creates a state, runs the frames of a .f32 file (raw
 * little-endian float32, n x input size) through it in chunks, as a live
 * stream would arrive, and prints one output frame per line (CSV).
 *
 *   cc infer-offline.c $(pkg-config --cflags --libs liblstm) -o infer-offline
 *   ./infer-offline model.safetensors input.f32
 */
#include <stdio.h>
#include <string.h>

#include <lstm/lstm.h>

#define CHUNK_FRAMES 100

static void
print_frames (const float *out, gsize n_frames, guint dim)
{
  gsize t;
  guint j;

  for (t = 0; t < n_frames; t++)
    for (j = 0; j < dim; j++)
      printf ("%.9g%c", (double) out[t * dim + j], j + 1 < dim ? ',' : '\n');
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) model = NULL;
  g_autoptr (LstmState) state = NULL;
  g_autofree gchar *data = NULL;
  g_autofree float *in = NULL, *out = NULL;
  gsize len, n_frames, done, i;
  guint in_dim, out_dim;

  if (argc != 3) {
    fprintf (stderr, "Usage: %s MODEL INPUT.f32\n", argv[0]);
    return 2;
  }
  model = lstm_model_load (argv[1], &error);
  if (model == NULL)
    goto fail;
  in_dim = lstm_model_get_input_size (model);
  out_dim = lstm_model_get_output_size (model);

  if (!g_file_get_contents (argv[2], &data, &len, &error))
    goto fail;
  if (len % (in_dim * sizeof (float)) != 0) {
    fprintf (stderr, "%s: %" G_GSIZE_FORMAT " bytes is not a whole number "
        "of %u-value frames\n", argv[2], len, in_dim);
    return 1;
  }
  n_frames = len / (in_dim * sizeof (float));
  in = g_new (float, MAX (n_frames, 1) * in_dim);
  for (i = 0; i < n_frames * in_dim; i++) {
    guint32 bits;
    memcpy (&bits, data + 4 * i, 4);
    bits = GUINT32_FROM_LE (bits);
    memcpy (&in[i], &bits, 4);
  }
  out = g_new (float, MAX (n_frames, 1) * out_dim);

  if (!lstm_model_is_streamable (model)) {
    /* A bidirectional layer needs the whole sequence at once. */
    if (!lstm_model_forward_sequence (model, in, n_frames, out, &error))
      goto fail;
    print_frames (out, n_frames, out_dim);
    return 0;
  }

  /* One state per stream; the model could serve many. Outputs do not
   * depend on how the frames are split into calls. */
  state = lstm_state_new (model);
  for (done = 0; done < n_frames; done += CHUNK_FRAMES) {
    gsize n = MIN (CHUNK_FRAMES, n_frames - done);
    if (!lstm_model_forward (model, state, in + done * in_dim, n,
            out + done * out_dim, &error))
      goto fail;
    print_frames (out + done * out_dim, n, out_dim);
  }
  return 0;

fail:
  fprintf (stderr, "%s\n", error->message);
  return 1;
}
