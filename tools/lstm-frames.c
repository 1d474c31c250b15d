/* lstm: reading and writing frame files (.f32 and .csv)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "lstm-tool.h"

struct _LstmToolFrameReader {
  gchar *path;
  FILE *fp;
  LstmToolFramesFormat format;
  guint dim;
  guint64 line;
  guint64 frames;       /* frames read so far (.f32) */
  gboolean first_line;
  gchar *buf;
  gsize buf_size;
  gboolean check_finite;  /* non-finite values are an error */
};

struct _LstmToolFrameWriter {
  gchar *path;
  gchar *tmp;           /* written there, renamed to path when complete */
  FILE *fp;
  LstmToolFramesFormat format;
  guint dim;
};

gboolean
lstm_tool_frames_format_from_path (const gchar *path,
    LstmToolFramesFormat *format)
{
  if (g_str_has_suffix (path, ".f32") || g_str_has_suffix (path, ".F32")) {
    *format = LSTM_TOOL_FRAMES_F32;
    return TRUE;
  }
  if (g_str_has_suffix (path, ".csv") || g_str_has_suffix (path, ".CSV") ||
      strcmp (path, "-") == 0) {
    *format = LSTM_TOOL_FRAMES_CSV;
    return TRUE;
  }
  return FALSE;
}

LstmToolFrameReader *
lstm_tool_frame_reader_open (const gchar *path, guint dim, GError **error)
{
  LstmToolFrameReader *r;
  LstmToolFramesFormat format;
  struct stat st;
  FILE *fp;

  if (!lstm_tool_frames_format_from_path (path, &format)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: unknown input type (expected .f32 or .csv)", path);
    return NULL;
  }
  fp = fopen (path, "rb");
  if (fp == NULL) {
    int saved = errno;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot open: %s",
        path, g_strerror (saved));
    return NULL;
  }
  if (fstat (fileno (fp), &st) == 0 && S_ISDIR (st.st_mode)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: is a directory",
        path);
    fclose (fp);
    return NULL;
  }
  if (format == LSTM_TOOL_FRAMES_F32 && S_ISREG (st.st_mode) &&
      st.st_size % ((off_t) dim * 4) != 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
        "%s: %lld bytes is not a whole number of %u-value float32 frames "
        "(%u bytes each)", path, (long long) st.st_size, dim, dim * 4);
    fclose (fp);
    return NULL;
  }
  r = g_new0 (LstmToolFrameReader, 1);
  r->path = g_strdup (path);
  r->fp = fp;
  r->format = format;
  r->dim = dim;
  r->first_line = TRUE;
  r->check_finite = TRUE;
  return r;
}

/* Non-finite values are refused by default (LSTM_NAN_POLICY_ERROR); with
 * the other policies they are read as they are, for the model's forward to
 * apply the policy. */
void
lstm_tool_frame_reader_set_nan_policy (LstmToolFrameReader *r,
    LstmNanPolicy policy)
{
  r->check_finite = policy == LSTM_NAN_POLICY_ERROR;
}

void
lstm_tool_frame_reader_close (LstmToolFrameReader *r)
{
  if (r == NULL)
    return;
  if (r->fp)
    fclose (r->fp);
  free (r->buf);
  g_free (r->path);
  g_free (r);
}

/* Parses one CSV line into @out; returns the number of values, or -1 if a
 * field is not a number (with @bad_field set to its index). */
static gint
parse_csv_line (gchar *line, float *out, guint max, guint *bad_field)
{
  guint n = 0;
  gchar *p = line;

  while (TRUE) {
    gchar *end;
    double v;

    while (*p == ' ' || *p == '\t')
      p++;
    v = g_ascii_strtod (p, &end);
    if (end == p) {
      *bad_field = n;
      return -1;
    }
    if (n < max)
      out[n] = (float) v;
    n++;
    p = end;
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
      p++;
    if (*p == '\0')
      return (gint) n;
    if (*p != ',' && *p != ';') {
      *bad_field = n - 1;
      return -1;
    }
    p++;
  }
}

gssize
lstm_tool_frame_reader_read (LstmToolFrameReader *r, float *buf, gsize max,
    GError **error)
{
  gsize n = 0;

  if (r->format == LSTM_TOOL_FRAMES_F32) {
    gsize frame_bytes = sizeof (float) * r->dim;
    /* Byte-wise, so that a trailing partial frame (from a pipe, where the
     * size could not be checked at open) is seen rather than dropped. */
    gsize bytes = fread (buf, 1, max * frame_bytes, r->fp);
    gsize got = bytes / frame_bytes;
    guint8 *b = (guint8 *) buf;
    gsize i;
    if (bytes < max * frame_bytes && ferror (r->fp)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: read error",
          r->path);
      return -1;
    }
    if (bytes % frame_bytes != 0) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
          "%s: ends with a partial frame (%" G_GSIZE_FORMAT " of %"
          G_GSIZE_FORMAT " bytes) after frame %" G_GUINT64_FORMAT, r->path,
          bytes % frame_bytes, frame_bytes, r->frames + got);
      return -1;
    }
    if (G_BYTE_ORDER == G_BIG_ENDIAN)
      for (i = 0; i < got * r->dim * 4; i += 4) {
        guint8 t = b[i];
        b[i] = b[i + 3];
        b[i + 3] = t;
        t = b[i + 1];
        b[i + 1] = b[i + 2];
        b[i + 2] = t;
      }
    for (i = 0; r->check_finite && i < got * r->dim; i++)
      if (!isfinite (buf[i])) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s: frame %" G_GUINT64_FORMAT ", value %u is %g (not finite)",
            r->path, r->frames + i / r->dim, (guint) (i % r->dim),
            (double) buf[i]);
        return -1;
      }
    r->frames += got;
    return (gssize) got;
  }

  while (n < max) {
    ssize_t len = getline (&r->buf, &r->buf_size, r->fp);
    gchar *line;
    guint bad = 0;
    gint got;
    guint i;

    if (len < 0) {
      if (ferror (r->fp)) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: read error",
            r->path);
        return -1;
      }
      break;
    }
    r->line++;
    line = g_strstrip (r->buf);
    if (*line == '\0' || *line == '#')
      continue;
    got = parse_csv_line (line, buf + n * r->dim, r->dim, &bad);
    if (got < 0 && r->first_line) {
      /* a header row of column names */
      r->first_line = FALSE;
      continue;
    }
    r->first_line = FALSE;
    if (got < 0) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s:%" G_GUINT64_FORMAT ": field %u is not a number", r->path,
          r->line, bad + 1);
      return -1;
    }
    if ((guint) got != r->dim) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_SHAPE,
          "%s:%" G_GUINT64_FORMAT ": %d values, the model takes %u per frame",
          r->path, r->line, got, r->dim);
      return -1;
    }
    for (i = 0; r->check_finite && i < r->dim; i++)
      if (!isfinite (buf[n * r->dim + i])) {
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
            "%s:%" G_GUINT64_FORMAT ": field %u is not a finite number",
            r->path, r->line, i + 1);
        return -1;
      }
    n++;
  }
  return (gssize) n;
}

LstmToolFrameWriter *
lstm_tool_frame_writer_open (const gchar *path, guint dim, GError **error)
{
  LstmToolFrameWriter *w;
  LstmToolFramesFormat format;
  FILE *fp;

  if (!lstm_tool_frames_format_from_path (path, &format)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: unknown output type (expected .f32, .csv or - for standard "
        "output)", path);
    return NULL;
  }
  w = g_new0 (LstmToolFrameWriter, 1);
  if (strcmp (path, "-") == 0) {
    fp = stdout;
  } else {
    /* the old file stays until the new one is complete */
    fp = lstm_tool_atomic_open (path, &w->tmp, error);
    if (fp == NULL) {
      g_free (w);
      return NULL;
    }
  }
  w->path = g_strdup (path);
  w->fp = fp;
  w->format = format;
  w->dim = dim;
  return w;
}

gboolean
lstm_tool_frame_writer_write (LstmToolFrameWriter *w, const float *buf,
    gsize n_frames, GError **error)
{
  gsize t;
  guint j;

  if (w->format == LSTM_TOOL_FRAMES_F32) {
    if (G_BYTE_ORDER == G_LITTLE_ENDIAN) {
      if (fwrite (buf, sizeof (float) * w->dim, n_frames, w->fp) != n_frames)
        goto fail;
    } else {
      for (t = 0; t < n_frames * w->dim; t++) {
        guint32 bits;
        memcpy (&bits, buf + t, 4);
        bits = GUINT32_TO_LE (bits);
        if (fwrite (&bits, 4, 1, w->fp) != 1)
          goto fail;
      }
    }
    return TRUE;
  }
  for (t = 0; t < n_frames; t++) {
    for (j = 0; j < w->dim; j++) {
      gchar num[G_ASCII_DTOSTR_BUF_SIZE];
      /* %.9g round-trips every float32 */
      g_ascii_formatd (num, sizeof num, "%.9g", buf[t * w->dim + j]);
      if (fputs (num, w->fp) < 0 || fputc (j + 1 < w->dim ? ',' : '\n',
              w->fp) < 0)
        goto fail;
    }
  }
  return TRUE;

fail:
  g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: write error: %s",
      w->path, g_strerror (errno));
  return FALSE;
}

static gboolean
writer_close (LstmToolFrameWriter *w, gboolean commit, GError **error)
{
  gboolean ok = TRUE;

  if (w == NULL)
    return TRUE;
  if (w->fp == stdout) {
    ok = fflush (stdout) == 0;
    if (!ok && commit)
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: write error: %s",
          w->path, g_strerror (errno));
  } else if (w->fp != NULL) {
    ok = lstm_tool_atomic_close (w->fp, g_steal_pointer (&w->tmp), w->path,
        commit, error);
  }
  g_free (w->path);
  g_free (w);
  return ok;
}

/* Completes the output: the temporary file renamed into place. */
gboolean
lstm_tool_frame_writer_close (LstmToolFrameWriter *w, GError **error)
{
  return writer_close (w, TRUE, error);
}

/* Abandons the output: the temporary file is removed, an older file of
 * that name stays as it was. */
void
lstm_tool_frame_writer_abort (LstmToolFrameWriter *w)
{
  writer_close (w, FALSE, NULL);
}

/* The model's feature extractor, for its frame timing only. */
static LstmFeatures *
model_features (LstmModel *model)
{
  const gchar *config = lstm_model_get_features (model);

  if (config == NULL)
    return NULL;
  return lstm_features_new (config, NULL);
}

double
lstm_tool_frame_period (LstmModel *model)
{
  g_autoptr (LstmFeatures) f = model_features (model);

  if (f == NULL)
    return 0;
  return (double) lstm_features_get_shift (f) /
      lstm_features_get_sample_rate (f);
}

double
lstm_tool_frame_offset (LstmModel *model)
{
  g_autoptr (LstmFeatures) f = model_features (model);

  if (f == NULL)
    return 0;
  return (double) lstm_features_get_frame_start (f, 0) /
      lstm_features_get_sample_rate (f);
}
