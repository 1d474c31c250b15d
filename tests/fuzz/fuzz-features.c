/* libFuzzer target: feature configurations (the JSON of `lstm.features`
 * and of `lstm features CONFIG`) through lstm_features_new(); a
 * configuration that opens must give a canonical form that opens again to
 * the same form, and computes frames from a short signal (with a burst of
 * NaN samples) and flushes.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include <math.h>

#include <lstm/lstm.h>

#include "fuzz-common.h"

#define N_SAMPLES 2048
/* Output buffers larger than this are not allocated (a valid configuration
 * may ask for millions of bins; computing them proves nothing more). */
#define MAX_OUT_FLOATS (16u << 20)

static float signal_buf[N_SAMPLES * 4];

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  guint i;

  (void) argc;
  (void) argv;
  fuzz_setup (FALSE);
  for (i = 0; i < G_N_ELEMENTS (signal_buf); i++)
    signal_buf[i] = 0.3f * sinf (0.05f * i) + 0.01f * (float) (i % 13);
  for (i = 700; i < 740; i++)
    signal_buf[i] = NAN;
  return 0;
}

static void
run (LstmFeatures *f)
{
  g_autofree float *out = NULL;
  LstmFeaturesReport report;
  gint channel = lstm_features_get_channel (f);
  guint channels = channel < 0 ? 1 : (guint) channel + 1;
  guint size = lstm_features_get_size (f);
  gsize n = N_SAMPLES / channels, frames, done = 0;

  if (channels > 4)
    return;
  frames = MAX (lstm_features_max_frames (f, n) + 1,
      lstm_features_max_flush_frames (f));
  if (size == 0 || frames > MAX_OUT_FLOATS / size)
    return;
  out = g_new (float, frames * size);
  while (done < n) {
    if (!lstm_features_process_checked (f, LSTM_NAN_POLICY_RESET,
            signal_buf + done * channels, LSTM_SAMPLE_F32, channels,
            n - done, out, &report, NULL))
      return;
    g_assert (report.consumed > 0 && report.consumed <= n - done);
    g_assert (report.n_frames <= lstm_features_max_frames (f, n - done) + 1);
    done += report.consumed;
  }
  g_assert (lstm_features_flush (f, out) <=
      lstm_features_max_flush_frames (f));
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree gchar *text = g_strndup ((const gchar *) data, size);
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmFeatures) f = lstm_features_new (text, &error);
  g_autoptr (LstmFeatures) f2 = NULL;
  g_autofree gchar *canon = NULL, *canon2 = NULL;

  if (f == NULL) {
    g_assert (error != NULL && error->message != NULL);
    return 0;
  }
  canon = lstm_features_get_config (f);
  f2 = lstm_features_new (canon, &error);
  if (f2 == NULL)
    g_error ("the canonical form of a configuration does not open: %s: %s",
        canon, error->message);
  canon2 = lstm_features_get_config (f2);
  g_assert_cmpstr (canon, ==, canon2);
  g_assert_cmpuint (lstm_features_get_size (f), ==,
      lstm_features_get_size (f2));
  run (f);
  return 0;
}
