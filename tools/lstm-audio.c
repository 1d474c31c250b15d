/* lstm: audio files in (libsndfile), resampled with libsamplerate, through
 * LstmFeatures
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include <samplerate.h>
#include <sndfile.h>

#include "lstm-tool.h"

/* Sample frames read per block. */
#define READ_FRAMES 4096

gboolean
lstm_tool_is_audio_path (const gchar *path)
{
  static const gchar *const ext[] = { ".wav", ".flac", ".ogg", ".oga",
    ".opus", ".aiff", ".aif", ".aifc", ".au", ".snd", ".w64", ".caf",
    ".mp3", NULL
  };
  g_autofree gchar *lower = g_ascii_strdown (path, -1);
  guint i;

  for (i = 0; ext[i]; i++)
    if (g_str_has_suffix (lower, ext[i]))
      return TRUE;
  return FALSE;
}

typedef struct {
  LstmFeatures *features;
  LstmNanPolicy policy;
  LstmToolFramesFunc func;
  LstmToolBurstFunc burst;
  gpointer user_data;
  float *out;                   /* feature frames of one block */
  guint64 n_frames;
  guint64 pos;                  /* samples at the features' rate so far */
  gboolean in_burst;            /* a burst of non-finite samples goes on */
  guint64 burst_start;          /* its first sample */
} Sink;

static gboolean
sink_push (Sink *s, gsize n, GError **error)
{
  if (n == 0)
    return TRUE;
  s->n_frames += n;
  return s->func (s->out, n, s->user_data, error);
}

/* A burst is reported once it ends (or at the end of the file), with the
 * sample where the framing restarted. */
static gboolean
sink_end_burst (Sink *s, guint64 run_start, GError **error)
{
  if (!s->in_burst)
    return TRUE;
  s->in_burst = FALSE;
  s->n_frames++;
  return s->burst == NULL || s->burst (s->burst_start, run_start,
      s->user_data, error);
}

/* Samples at the features' rate through the policy
 * (lstm_features_process_checked), frames to the sink. */
static gboolean
sink_process (Sink *s, const float *x, LstmSampleFormat format,
    guint channels, gsize n, const gchar *path, GError **error)
{
  gsize done = 0;

  while (done < n) {
    g_autoptr (GError) local = NULL;
    LstmFeaturesReport rep;
    const void *at = x + done * channels;

    if (!lstm_features_process_checked (s->features, s->policy, at, format,
            channels, n - done, s->out, &rep, &local)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: %s, sample %" G_GUINT64_FORMAT " (at the features' rate): "
          "NaN or Inf in the audio (nan-policy error)", path, local->message,
          s->pos + done);
      return FALSE;
    }
    if (rep.run_start >= 0 && !sink_end_burst (s,
            s->pos + done + (gsize) rep.run_start, error))
      return FALSE;
    if (rep.burst_frame >= 0) {
      if (!sink_push (s, (gsize) rep.burst_frame, error))
        return FALSE;
      s->in_burst = TRUE;
      s->burst_start = s->pos + done + rep.burst_sample;
    } else if (!sink_push (s, rep.n_frames, error)) {
      return FALSE;
    }
    done += rep.consumed;
  }
  s->pos += n;
  return TRUE;
}

/* A progress bar on standard error when it is a terminal and the file is
 * long enough for one to help. */
typedef struct {
  gboolean on;
  guint64 total;
  gint shown;
} Progress;

static void
progress_init (Progress *p, const SF_INFO *info)
{
  p->total = info->frames > 0 ? (guint64) info->frames : 0;
  p->on = isatty (STDERR_FILENO) && p->total > 0 &&
      p->total / (guint64) info->samplerate >= 60;
  p->shown = -1;
}

static void
progress_update (Progress *p, guint64 done)
{
  gint pct, i;

  if (!p->on)
    return;
  pct = (gint) (100 * MIN (done, p->total) / p->total);
  if (pct == p->shown)
    return;
  p->shown = pct;
  fputs ("\r[", stderr);
  for (i = 0; i < 40; i++)
    fputc (i < pct * 40 / 100 ? '#' : ' ', stderr);
  fprintf (stderr, "] %3d%%", pct);
  fflush (stderr);
}

static void
progress_end (Progress *p)
{
  if (p->on && p->shown >= 0)
    fputs ("\r\033[K", stderr);
}

/* Mono float block from interleaved floats: the configuration's channel,
 * or the average (as lstm_features_process_interleaved() computes it). */
static void
downmix (const float *in, gsize n, guint channels, gint channel, float *out)
{
  gsize i;
  guint c;

  for (i = 0; i < n; i++) {
    const float *fr = in + i * channels;
    if (channel >= 0 || channels == 1) {
      out[i] = fr[channel >= 0 ? channel : 0];
    } else {
      float sum = 0.0f;
      for (c = 0; c < channels; c++)
        sum += fr[c];
      out[i] = sum / (float) channels;
    }
  }
}

/**
 * lstm_tool_audio_features:
 * @path: an audio file libsndfile reads (WAV, FLAC, OGG/Vorbis, ...)
 * @features: the extractor; reset before and after
 * @func: receives the feature frames, block by block
 *
 * Reads @path, takes the configuration's channel or averages the channels,
 * resamples to the features' rate with libsamplerate's best sinc converter
 * when the file's rate differs, and computes the features, flush included.
 * At the features' rate the file goes through
 * lstm_features_process_interleaved() unchanged, so the frames are the
 * bytes the lstmfeatures element computes from the same samples.
 */
gboolean
lstm_tool_audio_features (const gchar *path, LstmFeatures *features,
    LstmToolFramesFunc func, gpointer user_data, guint64 *n_frames,
    GError **error)
{
  return lstm_tool_audio_features_checked (path, features,
      LSTM_NAN_POLICY_PASS, func, NULL, user_data, n_frames, error);
}

/* As lstm_tool_audio_features(), with a policy for non-finite samples
 * (after the resampler, which widens a burst by its filter's length). */
gboolean
lstm_tool_audio_features_checked (const gchar *path, LstmFeatures *features,
    LstmNanPolicy policy, LstmToolFramesFunc func, LstmToolBurstFunc burst,
    gpointer user_data, guint64 *n_frames, GError **error)
{
  const guint rate = lstm_features_get_sample_rate (features);
  const guint dim = lstm_features_get_size (features);
  const gint channel = lstm_features_get_channel (features);
  SF_INFO info = { 0 };
  SNDFILE *sf;
  SRC_STATE *src = NULL;
  g_autofree float *in = NULL, *mono = NULL, *resampled = NULL;
  gsize out_cap, res_cap = 0;
  guint64 n_samples = 0;
  gboolean ok = FALSE, eof = FALSE;
  double ratio = 1.0;
  Sink s = { features, policy, func, burst, user_data, NULL, 0, 0, FALSE,
    0
  };
  Progress progress;
  FILE *probe;

  /* tell a missing or unreadable file from one that is not audio */
  probe = fopen (path, "rb");
  if (probe == NULL) {
    int saved = errno;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot open: %s",
        path, g_strerror (saved));
    return FALSE;
  }
  fclose (probe);
  if (g_file_test (path, G_FILE_TEST_IS_DIR)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: is a directory",
        path);
    return FALSE;
  }
  sf = sf_open (path, SFM_READ, &info);
  if (sf == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: not a readable audio file (libsndfile: %s)", path,
        sf_strerror (NULL));
    return FALSE;
  }
  if (info.channels < 1 || info.samplerate < 1) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: %d channels at %d Hz is not audio", path, info.channels,
        info.samplerate);
    goto out;
  }
  if (channel >= info.channels) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s has %d channel(s); the features configuration takes channel %d",
        path, info.channels, channel);
    goto out;
  }
  if (info.frames == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: the file holds no audio (zero length)", path);
    goto out;
  }

  in = g_new (float, (gsize) READ_FRAMES * info.channels);
  progress_init (&progress, &info);
  lstm_features_reset (features);
  if ((guint) info.samplerate != rate) {
    int err = 0;
    ratio = (double) rate / info.samplerate;
    src = src_new (SRC_SINC_BEST_QUALITY, 1, &err);
    if (src == NULL) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO,
          "libsamplerate: %s", src_strerror (err));
      goto out;
    }
    mono = g_new (float, READ_FRAMES);
    res_cap = (gsize) (READ_FRAMES * ratio) + 256;
    resampled = g_new (float, res_cap);
    out_cap = lstm_features_max_frames (features, res_cap) + 1;
  } else {
    out_cap = lstm_features_max_frames (features, READ_FRAMES) + 1;
  }
  out_cap = MAX (out_cap, lstm_features_max_flush_frames (features));
  s.out = g_new (float, out_cap * dim);

  while (!eof) {
    sf_count_t got = sf_readf_float (sf, in, READ_FRAMES);
    if (got < 0 || sf_error (sf) != SF_ERR_NO_ERROR) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: read error: %s",
          path, sf_strerror (sf));
      goto out;
    }
    eof = got < READ_FRAMES;
    n_samples += (guint64) got;
    progress_update (&progress, n_samples);
    if (src == NULL) {
      if (!sink_process (&s, in, LSTM_SAMPLE_F32, (guint) info.channels,
              (gsize) got, path, error))
        goto out;
      continue;
    }
    downmix (in, (gsize) got, (guint) info.channels, channel, mono);
    {
      SRC_DATA d = { 0 };
      d.data_in = mono;
      d.input_frames = (long) got;
      d.src_ratio = ratio;
      d.end_of_input = eof;
      /* at the end, keep draining until the converter has nothing left */
      while (TRUE) {
        int err;
        d.data_out = resampled;
        d.output_frames = (long) res_cap;
        err = src_process (src, &d);
        if (err != 0) {
          g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO,
              "%s: resampling: %s", path, src_strerror (err));
          goto out;
        }
        if (!sink_process (&s, resampled, LSTM_SAMPLE_F32, 1,
                (gsize) d.output_frames_gen, path, error))
          goto out;
        d.data_in += d.input_frames_used;
        d.input_frames -= d.input_frames_used;
        if (d.input_frames == 0 && (!eof || d.output_frames_gen == 0))
          break;
      }
    }
  }
  if (n_samples == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: the file holds no audio (zero length)", path);
    goto out;
  }
  if (!sink_end_burst (&s, s.pos, error) ||
      !sink_push (&s, lstm_features_flush (features, s.out), error))
    goto out;
  if (s.n_frames == 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: %" G_GUINT64_FORMAT " samples at %d Hz are too short for one "
        "frame (%u samples at %u Hz)", path, n_samples, info.samplerate,
        lstm_features_get_window (features), rate);
    goto out;
  }
  if (n_frames)
    *n_frames = s.n_frames;
  ok = TRUE;

out:
  if (in)
    progress_end (&progress);
  lstm_features_reset (features);
  if (src)
    src_delete (src);
  g_free (s.out);
  sf_close (sf);
  return ok;
}
