/* lstm: pictures (cairo): loss curves of lstm train (also as CSV) and the
 * label timeline of lstm run
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#ifdef LSTM_HAVE_CAIRO
#include <cairo.h>
#include <cairo-svg.h>
#endif
#ifdef LSTM_HAVE_FONTCONFIG
#include <fontconfig/fontconfig.h>
#endif

#include "lstm-train-tool.h"

static void
print_num (FILE *f, double v)
{
  if (isfinite (v))
    fprintf (f, ",%.9g", v);
  else
    fprintf (f, ",");
}

gboolean
lstm_tool_curve_write_csv (const gchar *path, const LstmEpochStats *h, guint n,
    GError **error)
{
  g_autofree gchar *tmp = g_strconcat (path, ".tmp", NULL);
  FILE *f;
  guint i;
  int saved;

  /* removed if a signal ends the tool before the rename */
  lstm_tool_tmp_register (tmp);
  f = fopen (tmp, "w");
  if (f == NULL) {
    saved = errno;
    lstm_tool_tmp_unregister (tmp);
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot write: %s",
        tmp, g_strerror (saved));
    return FALSE;
  }
  fprintf (f, "epoch,loss,val_loss,accuracy,val_accuracy,learning_rate,"
      "frames_per_second\n");
  for (i = 0; i < n; i++) {
    fprintf (f, "%u", h[i].epoch);
    print_num (f, h[i].loss);
    print_num (f, h[i].val_loss);
    print_num (f, h[i].accuracy);
    print_num (f, h[i].val_accuracy);
    print_num (f, h[i].learning_rate);
    print_num (f, h[i].frames_per_second);
    fprintf (f, "\n");
  }
  if (fclose (f) != 0 || rename (tmp, path) != 0) {
    saved = errno;
    remove (tmp);
    lstm_tool_tmp_unregister (tmp);
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot write: %s",
        path, g_strerror (saved));
    return FALSE;
  }
  lstm_tool_tmp_unregister (tmp);
  return TRUE;
}

#ifdef LSTM_HAVE_CAIRO

/* ---- the cairo set-up every picture shares ---- */

typedef void (*PlotDrawFunc) (cairo_t *cr, gpointer data);

static gboolean
plot_is_svg (const gchar *path, GError **error)
{
  if (g_str_has_suffix (path, ".svg") || g_str_has_suffix (path, ".SVG"))
    return TRUE;
  if (!g_str_has_suffix (path, ".png") && !g_str_has_suffix (path, ".PNG"))
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: the plot must be a .png or .svg file", path);
  return FALSE;
}

gboolean
lstm_tool_plot_check_path (const gchar *path, GError **error)
{
  GError *e = NULL;

  plot_is_svg (path, &e);
  if (e != NULL) {
    g_propagate_error (error, e);
    return FALSE;
  }
  return TRUE;
}

/* Draws a @w x @h picture with @draw on a white background in the common
 * font, into a PNG or SVG surface chosen by @path's extension, written to
 * a temporary file renamed into place. */
static gboolean
plot_write (const gchar *path, double w, double h, PlotDrawFunc draw,
    gpointer data, GError **error)
{
  g_autofree gchar *tmp = g_strconcat (path, ".tmp", NULL);
  cairo_surface_t *surface;
  cairo_status_t status;
  gboolean svg;
  cairo_t *cr;

  if (!lstm_tool_plot_check_path (path, error))
    return FALSE;
  /* removed if a signal ends the tool before the rename */
  lstm_tool_tmp_register (tmp);
  svg = plot_is_svg (path, NULL);
  surface = svg ? cairo_svg_surface_create (tmp, w, h) :
      cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) ceil (w),
      (int) ceil (h));
  cr = cairo_create (surface);
  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
      CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 12);
  draw (cr, data);
  status = cairo_status (cr);
  cairo_destroy (cr);
  if (status == CAIRO_STATUS_SUCCESS && !svg)
    status = cairo_surface_write_to_png (surface, tmp);
  else if (status == CAIRO_STATUS_SUCCESS) {
    cairo_surface_finish (surface);
    status = cairo_surface_status (surface);
  }
  cairo_surface_destroy (surface);
  /* drop cairo's font caches: the tool draws one plot, and leak checkers
   * would otherwise report them at exit */
  cairo_debug_reset_static_data ();
#ifdef LSTM_HAVE_FONTCONFIG
  FcFini ();
#endif
  if (status != CAIRO_STATUS_SUCCESS || rename (tmp, path) != 0) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot write the "
        "plot: %s", path, status != CAIRO_STATUS_SUCCESS ?
        cairo_status_to_string (status) : g_strerror (errno));
    remove (tmp);
    lstm_tool_tmp_unregister (tmp);
    return FALSE;
  }
  lstm_tool_tmp_unregister (tmp);
  return TRUE;
}

/* ---- loss curves ---- */

#define PLOT_W 800.0
#define PLOT_H 480.0
#define M_LEFT 78.0
#define M_RIGHT 24.0
#define M_TOP 44.0
#define M_BOTTOM 52.0

/* A round tick step giving about @want ticks over @range. */
static double
nice_step (double range, double want)
{
  double raw = range / want, mag = pow (10, floor (log10 (raw)));
  double f = raw / mag;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * mag;
}

static void
draw_text (cairo_t *cr, double x, double y, const gchar *s, double align_x,
    double align_y)
{
  cairo_text_extents_t e;
  cairo_text_extents (cr, s, &e);
  cairo_move_to (cr, x - e.x_bearing - e.width * align_x,
      y - e.y_bearing - e.height * align_y);
  cairo_show_text (cr, s);
}

/* The plotted value: losses spanning decades are drawn on a log scale. */
static gboolean ylog;

static double
ty (double v)
{
  return ylog ? log10 (v) : v;
}

static void
draw_series (cairo_t *cr, const LstmEpochStats *h, guint n, gboolean val,
    double x0, double x1, double y0, double y1)
{
  double pw = PLOT_W - M_LEFT - M_RIGHT, ph = PLOT_H - M_TOP - M_BOTTOM;
  gboolean pen = FALSE;
  guint i;

#define PX(e) (M_LEFT + ((e) - x0) / (x1 - x0) * pw)
#define PY(v) (M_TOP + (1.0 - (ty (v) - y0) / (y1 - y0)) * ph)
  cairo_set_line_width (cr, 2.0);
  for (i = 0; i < n; i++) {
    double v = val ? h[i].val_loss : h[i].loss;
    if (!isfinite (v)) {
      pen = FALSE;
      continue;
    }
    if (pen)
      cairo_line_to (cr, PX (h[i].epoch), PY (v));
    else
      cairo_move_to (cr, PX (h[i].epoch), PY (v));
    pen = TRUE;
  }
  cairo_stroke (cr);
  if (n <= 60)
    for (i = 0; i < n; i++) {
      double v = val ? h[i].val_loss : h[i].loss;
      if (!isfinite (v))
        continue;
      cairo_arc (cr, PX (h[i].epoch), PY (v), 3.0, 0, 2 * G_PI);
      cairo_fill (cr);
    }
#undef PX
#undef PY
}

typedef struct {
  const LstmEpochStats *h;
  guint n;
  const gchar *title;
} Curve;

static void
draw_curve (cairo_t *cr, gpointer data)
{
  const Curve *c = data;
  const LstmEpochStats *h = c->h;
  guint n = c->n;
  const gchar *title = c->title;
  double pw = PLOT_W - M_LEFT - M_RIGHT, ph = PLOT_H - M_TOP - M_BOTTOM;
  double lo = INFINITY, hi = -INFINITY, x0, x1, y0, y1, step, v;
  gboolean have_val = FALSE;
  gchar buf[64];
  guint i;

  for (i = 0; i < n; i++) {
    if (isfinite (h[i].loss)) {
      lo = MIN (lo, h[i].loss);
      hi = MAX (hi, h[i].loss);
    }
    if (isfinite (h[i].val_loss)) {
      lo = MIN (lo, h[i].val_loss);
      hi = MAX (hi, h[i].val_loss);
      have_val = TRUE;
    }
  }
  if (!isfinite (lo)) {
    lo = 0;
    hi = 1;
  }
  if (hi - lo < 1e-12 * MAX (fabs (hi), 1.0)) {
    lo -= 0.5 * MAX (fabs (lo), 1e-3);
    hi += 0.5 * MAX (fabs (hi), 1e-3);
  }
  ylog = lo > 0 && hi / lo > 30;
  if (ylog) {
    lo = log10 (lo);
    hi = log10 (hi);
  }
  y0 = lo - 0.05 * (hi - lo);
  y1 = hi + 0.05 * (hi - lo);
  x0 = n > 1 ? h[0].epoch : 0.5;
  x1 = n > 1 ? h[n - 1].epoch : (n ? h[0].epoch + 0.5 : 1.5);
  if (n == 1)
    x0 = h[0].epoch - 0.5;

  /* grid and ticks */
  cairo_set_line_width (cr, 1.0);
  /* log scale: ticks at 1, 2, 5 per decade (1 only over many decades) */
  step = ylog ? 1.0 : nice_step (y1 - y0, 6);
  for (v = floor (y0 / step) * step; v <= y1; v += step) {
    static const double sub[] = { 1, 2, 5 };
    guint k, n_sub = ylog && y1 - y0 < 4 ? 3 : 1;
    for (k = 0; k < n_sub; k++) {
      double tv = ylog ? v + log10 (sub[k]) : v, y;
      if (tv < y0 || tv > y1)
        continue;
      y = M_TOP + (1.0 - (tv - y0) / (y1 - y0)) * ph;
      cairo_set_source_rgb (cr, 0.88, 0.88, 0.88);
      cairo_move_to (cr, M_LEFT, y);
      cairo_line_to (cr, M_LEFT + pw, y);
      cairo_stroke (cr);
      cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
      g_snprintf (buf, sizeof buf, "%g", ylog ? pow (10, tv) :
          fabs (v) < step * 1e-6 ? 0.0 : v);
      draw_text (cr, M_LEFT - 6, y, buf, 1.0, 0.5);
    }
  }
  step = MAX (1.0, nice_step (x1 - x0, 8));
  for (v = ceil (x0 / step) * step; v <= x1 + 1e-9; v += step) {
    double x = M_LEFT + (v - x0) / (x1 - x0) * pw;
    cairo_set_source_rgb (cr, 0.88, 0.88, 0.88);
    cairo_move_to (cr, x, M_TOP);
    cairo_line_to (cr, x, M_TOP + ph);
    cairo_stroke (cr);
    cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
    g_snprintf (buf, sizeof buf, "%g", v);
    draw_text (cr, x, M_TOP + ph + 6, buf, 0.5, 0.0);
  }
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_rectangle (cr, M_LEFT, M_TOP, pw, ph);
  cairo_stroke (cr);
  draw_text (cr, M_LEFT + pw / 2, PLOT_H - 8, "epoch", 0.5, 1.0);
  cairo_save (cr);
  cairo_translate (cr, 16, M_TOP + ph / 2);
  cairo_rotate (cr, -G_PI / 2);
  draw_text (cr, 0, 0, ylog ? "loss (log scale)" : "loss", 0.5, 0.5);
  cairo_restore (cr);
  cairo_set_font_size (cr, 15);
  draw_text (cr, M_LEFT + pw / 2, 14, title, 0.5, 0.0);
  cairo_set_font_size (cr, 12);

  /* curves and legend */
  cairo_set_source_rgb (cr, 0.12, 0.47, 0.71);
  draw_series (cr, h, n, FALSE, x0, x1, y0, y1);
  cairo_move_to (cr, M_LEFT + pw - 150, M_TOP + 18);
  cairo_line_to (cr, M_LEFT + pw - 120, M_TOP + 18);
  cairo_stroke (cr);
  draw_text (cr, M_LEFT + pw - 112, M_TOP + 18, "training loss", 0.0, 0.5);
  if (have_val) {
    cairo_set_source_rgb (cr, 1.0, 0.5, 0.05);
    draw_series (cr, h, n, TRUE, x0, x1, y0, y1);
    cairo_move_to (cr, M_LEFT + pw - 150, M_TOP + 38);
    cairo_line_to (cr, M_LEFT + pw - 120, M_TOP + 38);
    cairo_stroke (cr);
    draw_text (cr, M_LEFT + pw - 112, M_TOP + 38, "validation loss", 0.0,
        0.5);
  }
}

gboolean
lstm_tool_curve_plot (const gchar *path, const LstmEpochStats *h, guint n,
    const gchar *title, GError **error)
{
  Curve c = { h, n, title };

  return plot_write (path, PLOT_W, PLOT_H, draw_curve, &c, error);
}

/* ---- the label timeline of lstm run --plot ---- */

#define TL_W LSTM_TOOL_TIMELINE_WIDTH
#define TL_LEFT LSTM_TOOL_TIMELINE_LEFT
#define TL_PW (LSTM_TOOL_TIMELINE_WIDTH - LSTM_TOOL_TIMELINE_LEFT - \
    LSTM_TOOL_TIMELINE_RIGHT)
#define TL_SPEC_TOP 44.0
#define TL_SPEC_H 240.0
#define TL_BAND_H LSTM_TOOL_TIMELINE_BAND_HEIGHT
#define TL_AGREE_TOP 327.0      /* agreement strip between the two bands */
#define TL_AGREE_H 6.0
#define TL_SCORE_H 56.0
#define TL_LEGEND_SWATCH 14.0
/* spectrogram columns at most: longer recordings are reduced (the loudest
 * frame of each column) */
#define TL_MAX_COLUMNS 2048
/* dynamic range of the spectrogram: 80 dB below its loudest value, in the
 * natural log of the filterbank energies */
#define TL_RANGE (80.0 / 10.0 * G_LN10)

typedef struct {
  const LstmToolTimelinePlot *p;
  /* label colours: index n_labels + k for reference labels the model does
   * not have */
  const gchar *const *labels;
  guint n_labels;
  gboolean have_unknown;
  double bands_end;             /* y below the last band */
} Timeline;

static void
rgb_of (guint32 c, double rgb[3])
{
  rgb[0] = ((c >> 16) & 0xff) / 255.0;
  rgb[1] = ((c >> 8) & 0xff) / 255.0;
  rgb[2] = (c & 0xff) / 255.0;
}

/* The colour of label @index: the palette, then hues spread by the golden
 * angle at two lightnesses. */
static void
label_colour (guint index, double rgb[3])
{
  static const guint32 palette[] = LSTM_TOOL_TIMELINE_PALETTE;
  double hue, v, s, f;
  guint k, i;

  G_STATIC_ASSERT (G_N_ELEMENTS (palette) == LSTM_TOOL_TIMELINE_PALETTE_SIZE);
  if (index == LSTM_LABEL_UNKNOWN) {
    rgb_of (LSTM_TOOL_TIMELINE_UNKNOWN, rgb);
    return;
  }
  if (index < LSTM_TOOL_TIMELINE_PALETTE_SIZE) {
    rgb_of (palette[index], rgb);
    return;
  }
  k = index - LSTM_TOOL_TIMELINE_PALETTE_SIZE;
  hue = fmod (0.11 + k * 0.381966, 1.0) * 6.0;
  s = 0.65;
  v = k % 2 ? 0.62 : 0.88;
  i = (guint) hue;
  f = hue - i;
  {
    double p = v * (1 - s), q = v * (1 - s * f), t = v * (1 - s * (1 - f));
    double r[6][3] = { {v, t, p}, {q, v, p}, {p, v, t}, {p, q, v},
    {t, p, v}, {v, p, q}
    };
    rgb[0] = r[i % 6][0];
    rgb[1] = r[i % 6][1];
    rgb[2] = r[i % 6][2];
  }
}

static void
set_label_colour (cairo_t *cr, guint index)
{
  double rgb[3];
  label_colour (index, rgb);
  cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
}

static double
tl_x (const Timeline *tl, double t)
{
  return TL_LEFT + t / tl->p->duration * TL_PW;
}

/* Kaldi's mel scale */
static double
mel_of (double hz)
{
  return 1127.0 * log (1.0 + hz / 700.0);
}

/* A perceptual colour map (viridis, by its quartiles) at @v in [0, 1]. */
static void
colour_map (double v, guint8 out[3])
{
  static const double stops[5][3] = {
    {0x44, 0x01, 0x54}, {0x3b, 0x52, 0x8b}, {0x21, 0x91, 0x8c},
    {0x5e, 0xc9, 0x62}, {0xfd, 0xe7, 0x25}
  };
  double x = CLAMP (v, 0.0, 1.0) * 4.0;
  guint i = MIN ((guint) x, 3u), c;
  double f = x - i;

  for (c = 0; c < 3; c++)
    out[c] = (guint8) lround (stops[i][c] + f * (stops[i + 1][c] -
            stops[i][c]));
}

static void
draw_spectrogram (cairo_t *cr, const Timeline *tl)
{
  const LstmToolTimelinePlot *p = tl->p;
  const gsize F = p->spec_frames;
  const guint B = p->spec_bins;
  gsize cols = MIN (F, (gsize) TL_MAX_COLUMNS), c, i;
  double vmax = -INFINITY, x0, x1, mel_lo, mel_hi, delta;
  cairo_surface_t *img;
  cairo_pattern_t *pat;
  cairo_matrix_t m;
  guint8 *px;
  int stride;
  guint b;
  static const double ticks[] = { 200, 500, 1000, 2000, 4000, 8000,
    16000, 32000
  };

  cairo_set_source_rgb (cr, 0.94, 0.94, 0.94);
  cairo_rectangle (cr, TL_LEFT, TL_SPEC_TOP, TL_PW, TL_SPEC_H);
  cairo_fill (cr);
  if (F == 0 || B == 0)
    return;
  for (i = 0; i < F * B; i++)
    vmax = MAX (vmax, p->spec[i]);
  img = cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) cols, (int) B);
  cairo_surface_flush (img);
  px = cairo_image_surface_get_data (img);
  stride = cairo_image_surface_get_stride (img);
  for (c = 0; c < cols && px != NULL; c++) {
    gsize f0 = c * F / cols, f1 = MAX ((c + 1) * F / cols, f0 + 1);
    for (b = 0; b < B; b++) {
      double v = -INFINITY;
      guint8 rgb[3];
      guint32 *dst;
      for (i = f0; i < f1; i++)
        v = MAX (v, p->spec[i * B + b]);
      colour_map (1.0 - (vmax - v) / TL_RANGE, rgb);
      /* low frequencies at the bottom */
      dst = (guint32 *) (px + (gsize) (B - 1 - b) * stride) + c;
      *dst = ((guint32) rgb[0] << 16) | ((guint32) rgb[1] << 8) | rgb[2];
    }
  }
  cairo_surface_mark_dirty (img);

  /* the frames' extent in time, clipped to the axis */
  x0 = tl_x (tl, p->spec_offset);
  x1 = tl_x (tl, p->spec_offset + F * p->spec_period);
  cairo_save (cr);
  cairo_rectangle (cr, TL_LEFT, TL_SPEC_TOP, TL_PW, TL_SPEC_H);
  cairo_clip (cr);
  pat = cairo_pattern_create_for_surface (img);
  cairo_pattern_set_filter (pat, cols < TL_PW ? CAIRO_FILTER_NEAREST :
      CAIRO_FILTER_GOOD);
  cairo_matrix_init_scale (&m, cols / (x1 - x0), B / TL_SPEC_H);
  cairo_matrix_translate (&m, -x0, -TL_SPEC_TOP);
  cairo_pattern_set_matrix (pat, &m);
  cairo_set_source (cr, pat);
  cairo_rectangle (cr, x0, TL_SPEC_TOP, x1 - x0, TL_SPEC_H);
  cairo_fill (cr);
  cairo_pattern_destroy (pat);
  cairo_surface_destroy (img);
  cairo_restore (cr);

  /* frequency ticks (kHz) at their mel bins */
  mel_lo = mel_of (p->spec_low_hz);
  mel_hi = mel_of (p->spec_high_hz);
  delta = (mel_hi - mel_lo) / (B + 1);
  cairo_set_line_width (cr, 1.0);
  for (i = 0; i < G_N_ELEMENTS (ticks); i++) {
    double bin = (mel_of (ticks[i]) - mel_lo) / delta - 1.0, y;
    gchar buf[32];
    if (bin < 0 || bin > B - 1)
      continue;
    y = TL_SPEC_TOP + TL_SPEC_H - (bin + 0.5) / B * TL_SPEC_H;
    cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
    cairo_move_to (cr, TL_LEFT - 4, y);
    cairo_line_to (cr, TL_LEFT, y);
    cairo_stroke (cr);
    g_snprintf (buf, sizeof buf, "%g", ticks[i] / 1000);
    draw_text (cr, TL_LEFT - 7, y, buf, 1.0, 0.5);
  }
  cairo_save (cr);
  cairo_translate (cr, 16, TL_SPEC_TOP + TL_SPEC_H / 2);
  cairo_rotate (cr, -G_PI / 2);
  draw_text (cr, 0, 0, "frequency (kHz, mel scale)", 0.5, 0.5);
  cairo_restore (cr);
}

/* One band of labelled spans, its name at the left. */
static void
draw_band (cairo_t *cr, const Timeline *tl, double top,
    const LstmToolTimelineSpan *spans, guint n, const gchar *name)
{
  guint i;

  cairo_set_source_rgb (cr, 0.97, 0.97, 0.97);
  cairo_rectangle (cr, TL_LEFT, top, TL_PW, TL_BAND_H);
  cairo_fill (cr);
  cairo_save (cr);
  cairo_rectangle (cr, TL_LEFT, top, TL_PW, TL_BAND_H);
  cairo_clip (cr);
  for (i = 0; i < n; i++) {
    double x0 = tl_x (tl, spans[i].start), x1 = tl_x (tl, spans[i].end);
    set_label_colour (cr, spans[i].label);
    cairo_rectangle (cr, x0, top, x1 - x0, TL_BAND_H);
    cairo_fill (cr);
  }
  cairo_restore (cr);
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  draw_text (cr, TL_LEFT - 7, top + TL_BAND_H / 2, name, 1.0, 0.5);
}

/* The span of @spans (sorted, not overlapping) covering @t, or NULL. */
static const LstmToolTimelineSpan *
span_at (const LstmToolTimelineSpan *spans, guint n, double t)
{
  guint lo = 0, hi = n;

  while (lo < hi) {
    guint mid = lo + (hi - lo) / 2;
    if (spans[mid].end <= t)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n && spans[lo].start <= t ? &spans[lo] : NULL;
}

/* Where model and reference agree (green) or differ (red), per pixel
 * column; nothing where either has no label. */
static void
draw_agreement (cairo_t *cr, const Timeline *tl)
{
  const LstmToolTimelinePlot *p = tl->p;
  int x, run_start = 0, run_kind = 0;

  for (x = 0; x <= TL_PW; x++) {
    int kind = 0;
    if (x < TL_PW) {
      double t = (x + 0.5) / TL_PW * p->duration;
      const LstmToolTimelineSpan *a = span_at (p->segments, p->n_segments, t);
      const LstmToolTimelineSpan *b = span_at (p->reference, p->n_reference, t);
      if (a != NULL && b != NULL)
        kind = a->label == b->label ? 1 : 2;
    }
    if (kind != run_kind || x == TL_PW) {
      if (run_kind != 0) {
        if (run_kind == 1)
          cairo_set_source_rgb (cr, 0.55, 0.8, 0.55);
        else
          cairo_set_source_rgb (cr, 0.85, 0.1, 0.1);
        cairo_rectangle (cr, TL_LEFT + run_start, TL_AGREE_TOP,
            x - run_start, TL_AGREE_H);
        cairo_fill (cr);
      }
      run_start = x;
      run_kind = kind;
    }
  }
}

/* The per-frame top score as a thin curve over [0, 1], the threshold
 * dashed. */
static void
draw_scores (cairo_t *cr, const Timeline *tl, double top)
{
  const LstmToolTimelinePlot *p = tl->p;
  gsize i;

  cairo_set_source_rgb (cr, 0.97, 0.97, 0.97);
  cairo_rectangle (cr, TL_LEFT, top, TL_PW, TL_SCORE_H);
  cairo_fill (cr);
  cairo_set_line_width (cr, 1.0);
  cairo_set_source_rgb (cr, 0.85, 0.85, 0.85);
  cairo_move_to (cr, TL_LEFT, top + TL_SCORE_H / 2);
  cairo_line_to (cr, TL_LEFT + TL_PW, top + TL_SCORE_H / 2);
  cairo_stroke (cr);
  if (p->threshold > 0) {
    double dash = 4.0, y = top + (1.0 - p->threshold) * TL_SCORE_H;
    cairo_save (cr);
    cairo_set_source_rgb (cr, 0.8, 0.3, 0.3);
    cairo_set_dash (cr, &dash, 1, 0);
    cairo_move_to (cr, TL_LEFT, y);
    cairo_line_to (cr, TL_LEFT + TL_PW, y);
    cairo_stroke (cr);
    cairo_restore (cr);
  }
  cairo_save (cr);
  cairo_rectangle (cr, TL_LEFT, top, TL_PW, TL_SCORE_H);
  cairo_clip (cr);
  cairo_set_source_rgb (cr, 0.15, 0.15, 0.15);
  cairo_set_line_width (cr, 1.0);
  for (i = 0; i < p->n_scores; i++) {
    double t = MAX (0.0, p->score_offset + i * p->score_period);
    double x = tl_x (tl, t), y = top + (1.0 - p->scores[i]) * TL_SCORE_H;
    if (i == 0)
      cairo_move_to (cr, x, y);
    else
      cairo_line_to (cr, x, y);
  }
  cairo_stroke (cr);
  cairo_restore (cr);
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  cairo_rectangle (cr, TL_LEFT + 0.5, top + 0.5, TL_PW - 1, TL_SCORE_H - 1);
  cairo_stroke (cr);
  draw_text (cr, TL_LEFT - 7, top, "1", 1.0, 0.0);
  draw_text (cr, TL_LEFT - 7, top + TL_SCORE_H, "0", 1.0, 1.0);
  draw_text (cr, TL_LEFT - 20, top + TL_SCORE_H / 2, "score", 1.0, 0.5);
}

static void
draw_time_axis (cairo_t *cr, const Timeline *tl, double y)
{
  double step = nice_step (tl->p->duration, 10), v;
  gchar buf[32];

  cairo_set_line_width (cr, 1.0);
  cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
  for (v = 0; v <= tl->p->duration * (1 + 1e-9); v += step) {
    double x = floor (tl_x (tl, v)) + 0.5;
    cairo_move_to (cr, x, y);
    cairo_line_to (cr, x, y + 4);
    cairo_move_to (cr, x, TL_SPEC_TOP + TL_SPEC_H);
    cairo_line_to (cr, x, TL_SPEC_TOP + TL_SPEC_H + 4);
    cairo_stroke (cr);
    g_snprintf (buf, sizeof buf, "%g", fabs (v) < step * 1e-6 ? 0.0 : v);
    draw_text (cr, x, y + 6, buf, 0.5, 0.0);
  }
  draw_text (cr, TL_LEFT + TL_PW / 2.0, y + 24, "time (s)", 0.5, 0.0);
}

/* Legend rows: swatch and name per label, wrapped at the width. Returns
 * the rows drawn (or that would be, with @cr NULL). */
static guint
draw_legend (cairo_t *cr, cairo_t *measure, const Timeline *tl, double y)
{
  double x = TL_LEFT;
  guint i, rows = 1, n = tl->n_labels + (tl->have_unknown ? 1 : 0);
  gboolean agree = tl->p->n_reference > 0;

  for (i = 0; i < n + (agree ? 2 : 0); i++) {
    const gchar *name;
    cairo_text_extents_t e;
    double rgb[3];
    double w;

    if (i < tl->n_labels) {
      name = tl->labels[i];
      label_colour (i, rgb);
    } else if (i < n) {
      name = "unknown";
      label_colour (LSTM_LABEL_UNKNOWN, rgb);
    } else if (i == n) {
      name = "model = reference";
      rgb[0] = 0.55, rgb[1] = 0.8, rgb[2] = 0.55;
    } else {
      name = "model \xe2\x89\xa0 reference";
      rgb[0] = 0.85, rgb[1] = 0.1, rgb[2] = 0.1;
    }
    cairo_text_extents (measure, name, &e);
    w = TL_LEGEND_SWATCH + 6 + e.x_advance + 18;
    if (x + w > TL_W - LSTM_TOOL_TIMELINE_RIGHT && x > TL_LEFT) {
      x = TL_LEFT;
      rows++;
    }
    if (cr != NULL) {
      double yy = y + (rows - 1) * LSTM_TOOL_TIMELINE_LEGEND_ROW;
      /* agreement: a strip as thin as the one drawn */
      double sh = i < n ? TL_LEGEND_SWATCH : TL_AGREE_H;
      cairo_set_source_rgb (cr, rgb[0], rgb[1], rgb[2]);
      cairo_rectangle (cr, x, yy - sh / 2, TL_LEGEND_SWATCH, sh);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 0.2, 0.2, 0.2);
      draw_text (cr, x + TL_LEGEND_SWATCH + 6, yy, name, 0.0, 0.5);
    }
    x += w;
  }
  return rows;
}

static void
draw_timeline (cairo_t *cr, gpointer data)
{
  const Timeline *tl = data;
  const LstmToolTimelinePlot *p = tl->p;
  double score_top = tl->bands_end + 10;

  cairo_set_font_size (cr, 15);
  cairo_set_source_rgb (cr, 0.1, 0.1, 0.1);
  draw_text (cr, TL_LEFT + TL_PW / 2.0, 14, p->title, 0.5, 0.0);
  cairo_set_font_size (cr, 11);
  if (p->subtitle) {
    cairo_set_source_rgb (cr, 0.4, 0.4, 0.4);
    draw_text (cr, TL_W - LSTM_TOOL_TIMELINE_RIGHT, 36, p->subtitle, 1.0, 1.0);
  }
  cairo_set_font_size (cr, 12);
  draw_spectrogram (cr, tl);
  draw_band (cr, tl, LSTM_TOOL_TIMELINE_BAND_TOP, p->segments, p->n_segments,
      "model");
  if (p->n_reference > 0) {
    draw_agreement (cr, tl);
    draw_band (cr, tl, LSTM_TOOL_TIMELINE_REF_TOP, p->reference, p->n_reference,
        "reference");
  }
  if (p->scores != NULL)
    draw_scores (cr, tl, score_top);
  draw_time_axis (cr, tl, score_top + TL_SCORE_H);
  draw_legend (cr, cr, tl, score_top + TL_SCORE_H + 60);
}

gboolean
lstm_tool_timeline_plot (const gchar *path, const LstmToolTimelinePlot *plot,
    GError **error)
{
  Timeline tl = { plot, plot->labels, plot->n_labels, FALSE, 0 };
  cairo_surface_t *scratch;
  cairo_t *measure;
  guint i, rows;
  double h;

  g_return_val_if_fail (plot->duration > 0, FALSE);
  for (i = 0; i < plot->n_segments; i++)
    tl.have_unknown |= plot->segments[i].label == LSTM_LABEL_UNKNOWN;
  for (i = 0; i < plot->n_reference; i++)
    tl.have_unknown |= plot->reference[i].label == LSTM_LABEL_UNKNOWN;
  tl.bands_end = (plot->n_reference > 0 ? LSTM_TOOL_TIMELINE_REF_TOP :
      LSTM_TOOL_TIMELINE_BAND_TOP) + TL_BAND_H;
  /* the legend's rows set the height */
  scratch = cairo_image_surface_create (CAIRO_FORMAT_RGB24, 1, 1);
  measure = cairo_create (scratch);
  cairo_select_font_face (measure, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
      CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (measure, 12);
  rows = draw_legend (NULL, measure, &tl, 0);
  cairo_destroy (measure);
  cairo_surface_destroy (scratch);
  h = (plot->n_reference > 0 ? LSTM_TOOL_TIMELINE_HEIGHT_REF :
      LSTM_TOOL_TIMELINE_HEIGHT) + (rows - 1) * LSTM_TOOL_TIMELINE_LEGEND_ROW;
  return plot_write (path, TL_W, h, draw_timeline, &tl, error);
}

#else

static gboolean
no_cairo (const gchar *path, GError **error)
{
  g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
      "%s: this lstm was built without cairo: no plots (install "
      "libcairo2-dev and rebuild)", path);
  return FALSE;
}

gboolean
lstm_tool_plot_check_path (const gchar *path, GError **error)
{
  return no_cairo (path, error);
}

gboolean
lstm_tool_curve_plot (const gchar *path, const LstmEpochStats *h, guint n,
    const gchar *title, GError **error)
{
  (void) h;
  (void) n;
  (void) title;
  return no_cairo (path, error);
}

gboolean
lstm_tool_timeline_plot (const gchar *path, const LstmToolTimelinePlot *plot,
    GError **error)
{
  (void) plot;
  return no_cairo (path, error);
}

#endif
