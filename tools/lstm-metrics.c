/* lstm: classification metrics (accuracy, precision, recall, F1, confusion)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "lstm-train-tool.h"

LstmToolConfusion *
lstm_tool_confusion_new (guint n_classes)
{
  LstmToolConfusion *c = g_new0 (LstmToolConfusion, 1);
  c->n_classes = n_classes;
  c->counts = g_new0 (guint64, (gsize) n_classes * n_classes);
  return c;
}

void
lstm_tool_confusion_free (LstmToolConfusion *c)
{
  if (c == NULL)
    return;
  g_free (c->counts);
  g_free (c);
}

void
lstm_tool_confusion_add (LstmToolConfusion *c, guint truth, guint predicted)
{
  g_return_if_fail (truth < c->n_classes && predicted < c->n_classes);
  c->counts[(gsize) truth * c->n_classes + predicted]++;
}

double
lstm_tool_confusion_accuracy (const LstmToolConfusion *c)
{
  guint64 right = 0, all = 0;
  guint i, j;

  for (i = 0; i < c->n_classes; i++)
    for (j = 0; j < c->n_classes; j++) {
      all += c->counts[(gsize) i * c->n_classes + j];
      if (i == j)
        right += c->counts[(gsize) i * c->n_classes + j];
    }
  return all ? (double) right / all : 0.0;
}

guint
lstm_tool_argmax (const float *v, guint n)
{
  return lstm_best_label_float (v, n, -INFINITY, NULL);
}

/* A label printable in a table cell (control characters spelled out). */
static gchar *
printable (const gchar *label, guint i)
{
  GString *s;
  const gchar *p;

  s = g_string_new (NULL);
  for (p = lstm_label_name (label, i); *p; p = g_utf8_next_char (p)) {
    gunichar ch = g_utf8_get_char (p);
    if (ch == '\n')
      g_string_append (s, "\\n");
    else if (ch == '\t')
      g_string_append (s, "\\t");
    else if (ch == ' ')
      g_string_append (s, "' '");
    else if (!g_unichar_isprint (ch))
      g_string_append_printf (s, "U+%04X", ch);
    else
      g_string_append_unichar (s, ch);
  }
  return g_string_free (s, FALSE);
}

void
lstm_tool_confusion_print (const LstmToolConfusion *c,
    const gchar *const *labels, FILE *out)
{
  lstm_tool_confusion_print_counted (c, labels, "frames", out);
}

void
lstm_tool_confusion_print_counted (const LstmToolConfusion *c,
    const gchar *const *labels, const gchar *what, FILE *out)
{
  guint n = c->n_classes, i, j, width = 5, present = 0;
  g_auto (GStrv) names = g_new0 (gchar *, n + 1);
  double macro_p = 0, macro_r = 0, macro_f = 0;
  guint64 total = 0;

  for (i = 0; i < n; i++) {
    names[i] = printable (labels ? labels[i] : NULL, i);
    width = MAX (width, (guint) g_utf8_strlen (names[i], -1));
  }
  width = MIN (MAX (width, (guint) strlen ("macro avg")), 24);
  for (i = 0; i < (gsize) n * n; i++)
    total += c->counts[i];

  fprintf (out, "accuracy: %.4f (%" G_GUINT64_FORMAT " %s)\n\n",
      lstm_tool_confusion_accuracy (c), total, what);
  fprintf (out, "%-*s  precision  recall     f1  support\n", width, "class");
  for (i = 0; i < n; i++) {
    guint64 tp = c->counts[(gsize) i * n + i], pred = 0, truth = 0;
    double p, r, f;
    for (j = 0; j < n; j++) {
      pred += c->counts[(gsize) j * n + i];
      truth += c->counts[(gsize) i * n + j];
    }
    p = pred ? (double) tp / pred : 0.0;
    r = truth ? (double) tp / truth : 0.0;
    f = p + r > 0 ? 2 * p * r / (p + r) : 0.0;
    if (truth > 0) {
      macro_p += p;
      macro_r += r;
      macro_f += f;
      present++;
    }
    fprintf (out, "%-*s  %9.4f %7.4f %6.4f %8" G_GUINT64_FORMAT "\n", width,
        names[i], p, r, f, truth);
  }
  if (present > 0)
    fprintf (out, "%-*s  %9.4f %7.4f %6.4f %8" G_GUINT64_FORMAT "\n", width,
        "macro avg", macro_p / present, macro_r / present, macro_f / present,
        total);

  if (n > 40) {
    fprintf (out, "\n(confusion matrix omitted: %u classes)\n", n);
    return;
  }
  fprintf (out, "\nconfusion matrix (rows: true class, columns: predicted)\n");
  fprintf (out, "%-*s", width, "");
  for (j = 0; j < n; j++)
    fprintf (out, " %*s", MAX (width, 6), names[j]);
  fprintf (out, "\n");
  for (i = 0; i < n; i++) {
    fprintf (out, "%-*s", width, names[i]);
    for (j = 0; j < n; j++)
      fprintf (out, " %*" G_GUINT64_FORMAT, MAX (width, 6),
          c->counts[(gsize) i * n + j]);
    fprintf (out, "\n");
  }
}
