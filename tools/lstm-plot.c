/* lstm: loss curves as CSV and as PNG/SVG plots (cairo)
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
lstm_curve_write_csv (const gchar *path, const LstmEpochStats *h, guint n,
    GError **error)
{
  g_autofree gchar *tmp = g_strconcat (path, ".tmp", NULL);
  FILE *f = fopen (tmp, "w");
  guint i;

  if (f == NULL) {
    int saved = errno;
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
    int saved = errno;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot write: %s",
        path, g_strerror (saved));
    remove (tmp);
    return FALSE;
  }
  return TRUE;
}

#ifdef LSTM_HAVE_CAIRO

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

static void
draw (cairo_t *cr, const LstmEpochStats *h, guint n, const gchar *title)
{
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

  cairo_set_source_rgb (cr, 1, 1, 1);
  cairo_paint (cr);
  cairo_select_font_face (cr, "sans-serif", CAIRO_FONT_SLANT_NORMAL,
      CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size (cr, 12);

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
lstm_curve_plot (const gchar *path, const LstmEpochStats *h, guint n,
    const gchar *title, GError **error)
{
  gboolean svg = g_str_has_suffix (path, ".svg") ||
      g_str_has_suffix (path, ".SVG");
  gboolean png = g_str_has_suffix (path, ".png") ||
      g_str_has_suffix (path, ".PNG");
  g_autofree gchar *tmp = g_strconcat (path, ".tmp", NULL);
  cairo_surface_t *surface;
  cairo_status_t status;
  cairo_t *cr;

  if (!svg && !png) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT,
        "%s: the plot must be a .png or .svg file", path);
    return FALSE;
  }
  surface = svg ? cairo_svg_surface_create (tmp, PLOT_W, PLOT_H) :
      cairo_image_surface_create (CAIRO_FORMAT_RGB24, (int) PLOT_W,
      (int) PLOT_H);
  cr = cairo_create (surface);
  draw (cr, h, n, title);
  cairo_destroy (cr);
  if (png)
    status = cairo_surface_write_to_png (surface, tmp);
  else {
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
    return FALSE;
  }
  return TRUE;
}

#else

gboolean
lstm_curve_plot (const gchar *path, const LstmEpochStats *h, guint n,
    const gchar *title, GError **error)
{
  (void) h;
  (void) n;
  (void) title;
  g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
      "%s: this lstm was built without cairo: no plots (install "
      "libcairo2-dev and rebuild)", path);
  return FALSE;
}

#endif
