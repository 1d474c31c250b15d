/* GStreamer lstm plugin: the aggregator inside lstmtrain: lines frames up
 * with their targets and trains
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The element, its documentation and its properties are in gstlstmtrain.c.
 * Here: the set-up at start (targets, classes, init-model), caps and
 * events, the frames and their targets (a label, a label track, the target
 * pad by running time, the stream itself ahead), collecting them and
 * training at EOS, or training online window by window.
 *
 * About 1500 lines, on purpose: one GstAggregator subclass whose parts all
 * work on its streaming state (the frame cursor, the target store, the
 * collected arrays, the online window); the numerics are liblstm's. What
 * stands alone is elsewhere: the element and its properties
 * (gstlstmtrain.c), caps parsing (gstlstmframes.c), messages
 * (gstlstmmessages.c).
 */

#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "gstlstmfeatures.h"
#include "gstlstmmessages.h"
#include "gstlstmmeta.h"
#include "gstlstmtrainagg-private.h"

GST_DEBUG_CATEGORY (gst_lstm_train_agg_debug);
#define GST_CAT_DEFAULT gst_lstm_train_agg_debug

/* the internal aggregator's output, which nothing ever reads */
#define INTERNAL_SRC_CAPS "application/x-lstm-train"

/* Frames are F32LE and go to liblstm as they are copied. */
G_STATIC_ASSERT (G_BYTE_ORDER == G_LITTLE_ENDIAN);

const gchar *const gst_lstm_train_agg_source_names[] =
    { "label", "label-file", "target", "forecast" };

G_DEFINE_TYPE (GstLstmTrainAgg, gst_lstm_train_agg, GST_TYPE_AGGREGATOR);

GstStaticPadTemplate gst_lstm_train_sink_template =
GST_STATIC_PAD_TEMPLATE ("sink",
    GST_PAD_SINK,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (GST_LSTM_TRAIN_CAPS));

GstStaticPadTemplate gst_lstm_train_target_template =
GST_STATIC_PAD_TEMPLATE ("target",
    GST_PAD_SINK,
    GST_PAD_REQUEST,
    GST_STATIC_CAPS (GST_LSTM_TRAIN_CAPS));

static GstStaticPadTemplate internal_src_template_factory =
GST_STATIC_PAD_TEMPLATE ("src",
    GST_PAD_SRC,
    GST_PAD_ALWAYS,
    GST_STATIC_CAPS (INTERNAL_SRC_CAPS));

/* ---- the aggregator: set-up ---- */

static gboolean agg_start (GstAggregator *agg);
static gboolean agg_stop (GstAggregator *agg);
static GstFlowReturn agg_aggregate (GstAggregator *agg, gboolean timeout);
static GstFlowReturn agg_flush (GstAggregator *agg);
static gboolean agg_sink_event (GstAggregator *agg, GstAggregatorPad *pad,
    GstEvent *event);
static GstFlowReturn agg_sink_event_pre_queue (GstAggregator *agg,
    GstAggregatorPad *pad, GstEvent *event);
static GstAggregatorPad *agg_create_new_pad (GstAggregator *agg,
    GstPadTemplate *templ, const gchar *req_name, const GstCaps *caps);
static GstStateChangeReturn agg_change_state (GstElement *element,
    GstStateChange transition);
static void agg_release_pad (GstElement *element, GstPad *pad);
static void agg_finalize (GObject *object);

static void
gst_lstm_train_agg_class_init (GstLstmTrainAggClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  GstAggregatorClass *agg_class = GST_AGGREGATOR_CLASS (klass);

  gobject_class->finalize = agg_finalize;
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &gst_lstm_train_sink_template, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &gst_lstm_train_target_template, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_add_static_pad_template_with_gtype (element_class,
      &internal_src_template_factory, GST_TYPE_AGGREGATOR_PAD);
  gst_element_class_set_static_metadata (element_class,
      "LSTM/GRU training (internal)", "Sink/Analyzer",
      "The aggregator inside lstmtrain: lines frames up with their targets "
      "and trains", "gst-lstm developers");
  element_class->change_state = GST_DEBUG_FUNCPTR (agg_change_state);
  element_class->release_pad = GST_DEBUG_FUNCPTR (agg_release_pad);

  agg_class->start = GST_DEBUG_FUNCPTR (agg_start);
  agg_class->stop = GST_DEBUG_FUNCPTR (agg_stop);
  agg_class->aggregate = GST_DEBUG_FUNCPTR (agg_aggregate);
  agg_class->flush = GST_DEBUG_FUNCPTR (agg_flush);
  agg_class->sink_event = GST_DEBUG_FUNCPTR (agg_sink_event);
  agg_class->sink_event_pre_queue =
      GST_DEBUG_FUNCPTR (agg_sink_event_pre_queue);
  agg_class->create_new_pad = GST_DEBUG_FUNCPTR (agg_create_new_pad);

  GST_DEBUG_CATEGORY_INIT (gst_lstm_train_agg_debug, "lstmtrainagg", 0,
      "the aggregator inside lstmtrain");
}

static void
gst_lstm_train_agg_init (GstLstmTrainAgg *self)
{
  GstPadTemplate *templ = gst_element_class_get_pad_template
      (GST_ELEMENT_GET_CLASS (self), "sink");

  self->sinkpad = g_object_new (GST_TYPE_AGGREGATOR_PAD, "name", "sink",
      "direction", GST_PAD_SINK, "template", templ, NULL);
  gst_element_add_pad (GST_ELEMENT (self), GST_PAD (self->sinkpad));
  self->tg_start = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  self->tg_end = g_array_new (FALSE, FALSE, sizeof (GstClockTime));
  self->tg_values = g_array_new (FALSE, FALSE, sizeof (float));
  self->c_frames = g_array_new (FALSE, FALSE, sizeof (float));
  self->c_classes = g_array_new (FALSE, FALSE, sizeof (guint));
  self->c_values = g_array_new (FALSE, FALSE, sizeof (float));
  self->c_mask = g_array_new (FALSE, FALSE, sizeof (guint8));
  self->c_breaks = g_array_new (FALSE, FALSE, sizeof (gsize));
}

/* Frees everything a run built (from start() on). */
static void
clear_run (GstLstmTrainAgg *self)
{
  g_clear_pointer (&self->track, lstm_label_track_free);
  g_clear_pointer (&self->init, lstm_model_unref);
  g_clear_pointer (&self->classes, g_strfreev);
  g_clear_pointer (&self->class_index, g_hash_table_unref);
  g_clear_pointer (&self->trainer, lstm_trainer_free);
  g_clear_pointer (&self->fifo, g_free);
  g_clear_pointer (&self->scratch, g_free);
  g_clear_pointer (&self->w_frames, g_free);
  g_clear_pointer (&self->w_classes, g_free);
  g_clear_pointer (&self->w_values, g_free);
  g_clear_pointer (&self->w_mask, g_free);
  g_array_set_size (self->tg_start, 0);
  g_array_set_size (self->tg_end, 0);
  g_array_set_size (self->tg_values, 0);
  g_array_set_size (self->c_frames, 0);
  g_array_set_size (self->c_classes, 0);
  g_array_set_size (self->c_values, 0);
  g_array_set_size (self->c_mask, 0);
  g_array_set_size (self->c_breaks, 0);
  memset (&self->in, 0, sizeof self->in);
  memset (&self->tg, 0, sizeof self->tg);
  self->in.next = self->tg.next = GST_CLOCK_TIME_NONE;
  self->in_dim = self->out_dim = 0;
  self->want_in = self->want_out = 0;
  self->buf_offset = 0;
  self->buf_started = FALSE;
  self->n_frames = self->n_targets = 0;
  self->n_stretches = 0;
  self->tg_head = 0;
  self->fifo_len = self->fifo_pos = 0;
  self->w_len = 0;
  self->saved_at = 0;
  self->failed = FALSE;
  GST_OBJECT_LOCK (self);
  g_clear_pointer (&self->upstream_features, g_free);
  GST_OBJECT_UNLOCK (self);
}

GstLstmTrainAgg *
gst_lstm_train_agg_new (GstElement *bin)
{
  GstLstmTrainAgg *self = g_object_new (GST_TYPE_LSTM_TRAIN_AGG, "name",
      "aggregator", NULL);

  self->train = bin;
  return self;
}

static void
agg_finalize (GObject *object)
{
  GstLstmTrainAgg *self = GST_LSTM_TRAIN_AGG (object);

  clear_run (self);
  gst_lstm_train_settings_clear (&self->s);
  g_array_unref (self->tg_start);
  g_array_unref (self->tg_end);
  g_array_unref (self->tg_values);
  g_array_unref (self->c_frames);
  g_array_unref (self->c_classes);
  g_array_unref (self->c_values);
  g_array_unref (self->c_mask);
  g_array_unref (self->c_breaks);
  G_OBJECT_CLASS (gst_lstm_train_agg_parent_class)->finalize (object);
}

static GstAggregatorPad *
agg_create_new_pad (GstAggregator *agg, GstPadTemplate *templ,
    const gchar *req_name, const GstCaps *caps)
{
  GstLstmTrainAgg *self = GST_LSTM_TRAIN_AGG (agg);
  GstAggregatorPad *pad;

  (void) req_name;
  (void) caps;
  if (g_strcmp0 (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "target") != 0)
    return NULL;
  GST_OBJECT_LOCK (self);
  if (self->targetpad != NULL) {
    GST_OBJECT_UNLOCK (self);
    return NULL;
  }
  pad = g_object_new (GST_TYPE_AGGREGATOR_PAD, "name", "target",
      "direction", GST_PAD_SINK, "template", templ, NULL);
  self->targetpad = pad;
  GST_OBJECT_UNLOCK (self);
  return pad;
}

static void
agg_release_pad (GstElement *element, GstPad *pad)
{
  GstLstmTrainAgg *self = GST_LSTM_TRAIN_AGG (element);

  GST_OBJECT_LOCK (self);
  if (pad == GST_PAD (self->targetpad))
    self->targetpad = NULL;
  GST_OBJECT_UNLOCK (self);
  GST_ELEMENT_CLASS (gst_lstm_train_agg_parent_class)->release_pad (element,
      pad);
}

static GstStateChangeReturn
agg_change_state (GstElement *element, GstStateChange transition)
{
  GstLstmTrainAgg *self = GST_LSTM_TRAIN_AGG (element);

  /* training at EOS runs in the aggregator's thread, which the parent
   * class joins when it stops: make training give up first */
  if (transition == GST_STATE_CHANGE_PAUSED_TO_READY)
    g_atomic_int_set (&self->cancel, 1);
  else if (transition == GST_STATE_CHANGE_READY_TO_PAUSED)
    g_atomic_int_set (&self->cancel, 0);
  return GST_ELEMENT_CLASS (gst_lstm_train_agg_parent_class)->change_state
      (element, transition);
}

/* Checks that @location can be written: not a folder, in a folder that
 * takes new files (where the atomic save puts its temporary file). */
static gboolean
check_location (GstLstmTrainAgg *self, const gchar *location)
{
  g_autofree gchar *dir = NULL, *base = NULL, *tmpl = NULL;
  int fd, saved;

  if (location == NULL || *location == '\0') {
    TRAIN_ERROR (self, RESOURCE, NOT_FOUND,
        ("No location given: set the 'location' property to the model file "
            "to write."), (NULL));
    return FALSE;
  }
  if (g_file_test (location, G_FILE_TEST_IS_DIR)) {
    TRAIN_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Cannot write the model to \"%s\": it is a folder.", location),
        (NULL));
    return FALSE;
  }
  dir = g_path_get_dirname (location);
  base = g_path_get_basename (location);
  tmpl = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  fd = g_mkstemp (tmpl);
  if (fd < 0) {
    saved = errno;
    TRAIN_ERROR (self, RESOURCE, OPEN_WRITE,
        ("Cannot write the model to \"%s\": cannot create files in \"%s\" "
            "(%s).", location, dir, g_strerror (saved)), (NULL));
    return FALSE;
  }
  close (fd);
  g_unlink (tmpl);
  return TRUE;
}

/* The classes of a classifier: init-model's, labels=, or the label
 * track's sorted; then every label used must be one of them. */
static gboolean
setup_classes (GstLstmTrainAgg *self)
{
  g_autoptr (GPtrArray) list = g_ptr_array_new_with_free_func (g_free);
  guint i;

  if (self->init != NULL) {
    const gchar *const *ml = lstm_model_get_labels (self->init);
    if (lstm_model_get_task (self->init) != LSTM_TASK_CLASSIFICATION ||
        ml == NULL) {
      TRAIN_ERROR (self, RESOURCE, SETTINGS,
          ("Model \"%s\" is not a classifier with labels: it cannot learn "
              "from %s.", self->s.init_model,
              gst_lstm_train_agg_source_names[self->source]), (NULL));
      return FALSE;
    }
    for (i = 0; ml[i]; i++)
      g_ptr_array_add (list, g_strdup (ml[i]));
  } else if (self->s.labels != NULL) {
    g_auto (GStrv) parts = g_strsplit (self->s.labels, ",", -1);
    for (i = 0; parts[i]; i++) {
      gchar *l = g_strstrip (parts[i]);
      guint k;
      if (*l == '\0')
        continue;
      for (k = 0; k < list->len; k++)
        if (strcmp (list->pdata[k], l) == 0) {
          TRAIN_ERROR (self, RESOURCE, SETTINGS,
              ("Label \"%s\" appears twice in labels=\"%s\".", l,
                  self->s.labels), (NULL));
          return FALSE;
        }
      g_ptr_array_add (list, g_strdup (l));
    }
  } else if (self->track != NULL) {
    gchar **classes = lstm_label_tracks_get_classes (&self->track, 1, NULL);
    for (i = 0; classes[i]; i++)
      g_ptr_array_add (list, classes[i]);
    g_free (classes);
  } else {
    g_ptr_array_add (list, g_strdup (self->s.label));
  }
  if (list->len < 2) {
    TRAIN_ERROR (self, RESOURCE, SETTINGS,
        ("A new classifier needs at least two classes; it has %u (%s). Set "
            "'labels' to every class, or fine-tune an init-model.", list->len,
            list->len ? (const gchar *) list->pdata[0] : "none"), (NULL));
    return FALSE;
  }
  g_ptr_array_add (list, NULL);
  self->classes = (gchar **) g_ptr_array_steal (list, NULL);
  self->class_index = g_hash_table_new (g_str_hash, g_str_equal);
  for (i = 0; self->classes[i]; i++)
    g_hash_table_insert (self->class_index, self->classes[i],
        GUINT_TO_POINTER (i + 1));

  if (self->source == SOURCE_LABEL) {
    guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (self->class_index,
            self->s.label));
    if (idx == 0) {
      g_autofree gchar *all = g_strjoinv (", ", self->classes);
      TRAIN_ERROR (self, RESOURCE, SETTINGS,
          ("Label \"%s\" is not one of the model's labels (%s).",
              self->s.label, all), (NULL));
      return FALSE;
    }
    self->label_class = idx - 1;
  } else {
    for (i = 0; i < lstm_label_track_get_n_spans (self->track); i++) {
      const LstmLabelSpan *sp = lstm_label_track_get_span (self->track, i);
      if (!g_hash_table_contains (self->class_index, sp->label)) {
        g_autofree gchar *all = g_strjoinv (", ", self->classes);
        TRAIN_ERROR (self, RESOURCE, SETTINGS,
            ("%s: label \"%s\" (%g-%g s) is not one of the model's labels "
                "(%s).", self->s.label_file, sp->label, sp->start, sp->end,
                all), (NULL));
        return FALSE;
      }
    }
  }
  return TRUE;
}

/* Reads the settings and checks everything that can be checked before
 * data flows; posts an error and returns FALSE otherwise. */
/* Online, a new forecaster is made before any row has come: liblstm's
 * recipe of forecasters (lstm_model_new_for_series()) needs every row
 * first, for the lags, their least-squares start and the target scaling of
 * a residual output. Lags listed or a season are refused; otherwise the
 * forecaster predicts levels without a lag layer, with a warning unless
 * exactly that was asked for (lags=none no-residual=true). */
static gboolean
check_online_forecaster (GstLstmTrainAgg *self)
{
  const LstmSeriesOptions *so = &self->s.train.series;

  if (so->lags_mode == LSTM_LAGS_LIST || so->season > 0) {
    TRAIN_ERROR (self, RESOURCE, SETTINGS,
        ("'lags' (a list) and 'season' need every row before training: "
            "set online=false, or leave them unset."), (NULL));
    return FALSE;
  }
  if (so->lags_mode != LSTM_LAGS_NONE || !so->no_residual)
    GST_ELEMENT_WARNING (self->train, RESOURCE, SETTINGS,
        ("Online, a new forecaster predicts levels without lags: the lags, "
            "their least-squares start and a residual output need every row "
            "before training (online=false). Set lags=none "
            "no-residual=true to train exactly this without a warning."),
        (NULL));
  return TRUE;
}

static gboolean
agg_start (GstAggregator *agg)
{
  GstLstmTrainAgg *self = GST_LSTM_TRAIN_AGG (agg);
  GstLstmTrainSettings *s = &self->s;
  g_autoptr (GError) error = NULL;
  const gchar *given[4];
  guint n_given = 0;
  gboolean have_target, target_linked;

  clear_run (self);
  gst_lstm_train_get_settings (self->train, s, &target_linked);
  lstm_train_settings_resolve (&s->train);
  GST_OBJECT_LOCK (self);
  have_target = self->targetpad != NULL;
  GST_OBJECT_UNLOCK (self);

  if (!check_location (self, s->location))
    return FALSE;

  /* exactly one source of targets */
  if (s->label != NULL) {
    given[n_given++] = "label";
    self->source = SOURCE_LABEL;
  }
  if (s->label_file != NULL) {
    given[n_given++] = "label-file";
    self->source = SOURCE_LABEL_FILE;
  }
  if (have_target) {
    given[n_given++] = "the target pad";
    self->source = SOURCE_TARGET_PAD;
  }
  if (s->mode == GST_LSTM_TRAIN_MODE_FORECAST) {
    given[n_given++] = "mode=forecast";
    self->source = SOURCE_FORECAST;
  }
  if (n_given == 0) {
    TRAIN_ERROR (self, RESOURCE, SETTINGS,
        ("No targets to train on: set 'label' or 'label-file', link the "
            "'target' pad, or set mode=forecast."), (NULL));
    return FALSE;
  }
  if (n_given > 1) {
    TRAIN_ERROR (self, RESOURCE, SETTINGS,
        ("Targets from %s and %s at once: choose one.", given[0], given[1]),
        (NULL));
    return FALSE;
  }
  if (have_target && !target_linked) {
    TRAIN_ERROR (self, RESOURCE, SETTINGS,
        ("The target pad was requested but is not linked."), (NULL));
    return FALSE;
  }
  self->classify = self->source == SOURCE_LABEL ||
      self->source == SOURCE_LABEL_FILE;
  if (s->online && s->train.trainer.sequence_length == 0) {
    TRAIN_ERROR (self, RESOURCE, SETTINGS,
        ("Online training needs windows: set sequence-length to 1 or more."),
        (NULL));
    return FALSE;
  }

  if (s->features != NULL) {
    /* liblstm's one loading of feature configurations: inline JSON (kept
     * as given), a kind name, a configuration file or a model file (both
     * stored as the configuration they stand for) */
    g_autoptr (LstmFeatures) f = NULL;
    LstmFeaturesOptions fo;
    const gchar *p = s->features;

    lstm_features_options_init (&fo);
    fo.source = s->features;
    f = lstm_features_new_from_options (&fo, NULL, &error);
    if (f == NULL) {
      TRAIN_ERROR (self, RESOURCE, SETTINGS,
          ("The 'features' property is neither a JSON object nor a feature "
              "kind, configuration file or model file."),
          ("%s", error->message));
      return FALSE;
    }
    while (g_ascii_isspace (*p))
      p++;
    if (*p != '{') {
      g_free (s->features);
      s->features = lstm_features_get_config (f);
    }
  }

  if (s->label_file != NULL) {
    self->track = lstm_label_track_load (s->label_file, &error);
    if (self->track == NULL) {
      if (error->code == LSTM_ERROR_IO)
        TRAIN_ERROR (self, RESOURCE, OPEN_READ,
            ("Could not read label file \"%s\".", s->label_file),
            ("%s", error->message));
      else
        TRAIN_ERROR (self, RESOURCE, READ,
            ("Invalid label file: %s", error->message), (NULL));
      return FALSE;
    }
    if (lstm_label_track_get_n_spans (self->track) == 0) {
      TRAIN_ERROR (self, RESOURCE, READ,
          ("Label file \"%s\" labels nothing.", s->label_file), (NULL));
      return FALSE;
    }
  }

  if (s->init_model != NULL) {
    g_autoptr (LstmModel) m = lstm_model_load_with_limit (s->init_model,
        s->max_model_size, &error);
    if (m == NULL) {
      TRAIN_ERROR (self, RESOURCE, OPEN_READ,
          ("Could not read model file \"%s\".", s->init_model),
          ("%s", error->message));
      return FALSE;
    }
    if (!lstm_model_is_streamable (m)) {
      TRAIN_ERROR (self, RESOURCE, SETTINGS,
          ("Model \"%s\" has a bidirectional layer, which needs whole "
              "sequences: lstmtrain trains on streams.", s->init_model),
          (NULL));
      return FALSE;
    }
    if (s->features != NULL) {
      LstmModel *f = lstm_model_with_metadata (m, "lstm.features",
          s->features, &error);
      if (f == NULL) {
        TRAIN_ERROR (self, RESOURCE, SETTINGS,
            ("The 'features' property does not fit model \"%s\".",
                s->init_model), ("%s", error->message));
        return FALSE;
      }
      lstm_model_unref (m);
      m = f;
    }
    self->want_in = lstm_model_get_input_size (m);
    self->want_out = lstm_model_get_output_size (m);
    if (self->source == SOURCE_FORECAST && self->want_in != self->want_out) {
      TRAIN_ERROR (self, RESOURCE, SETTINGS,
          ("Model \"%s\" takes %u values per frame and gives %u: a "
              "forecaster gives as many as it takes.", s->init_model,
              self->want_in, self->want_out), (NULL));
      return FALSE;
    }
    self->init = g_steal_pointer (&m);
  }
  if ((self->source != SOURCE_FORECAST || self->init != NULL) &&
      s->given != NULL && (g_strv_contains ((const gchar * const *) s->given,
              "lags") || g_strv_contains ((const gchar * const *) s->given,
              "season"))) {
    /* as lstm train: they shape a new forecaster, nothing else */
    TRAIN_ERROR (self, RESOURCE, SETTINGS,
        ("'lags' and 'season' apply to new forecasters (mode=forecast "
            "without init-model)."), (NULL));
    return FALSE;
  }
  if (self->source == SOURCE_FORECAST && s->online && self->init == NULL &&
      !check_online_forecaster (self))
    return FALSE;
  if (self->classify && !setup_classes (self))
    return FALSE;
  if (self->classify)
    self->out_dim = g_strv_length (self->classes);
  GST_INFO_OBJECT (self, "targets from %s, %s training",
      gst_lstm_train_agg_source_names[self->source], s->online ? "online" : "at EOS");
  return TRUE;
}

static gboolean
agg_stop (GstAggregator *agg)
{
  clear_run (GST_LSTM_TRAIN_AGG (agg));
  return TRUE;
}

/* ---- caps and events ---- */

/* Upstream's thread: refuses frame caps the model cannot take, so that
 * the push fails at once with our error. */
static GstFlowReturn
agg_sink_event_pre_queue (GstAggregator *agg, GstAggregatorPad *pad,
    GstEvent *event)
{
  GstLstmTrainAgg *self = GST_LSTM_TRAIN_AGG (agg);

  if (GST_EVENT_TYPE (event) == GST_EVENT_CAPS) {
    g_autoptr (GError) error = NULL;
    gboolean is_target = pad != self->sinkpad;
    GstLstmFramesInfo info;
    GstCaps *caps;
    guint want = is_target ? self->want_out : self->want_in;

    gst_event_parse_caps (event, &caps);
    if (!gst_lstm_frames_info_from_caps (&info, caps, &error)) {
      TRAIN_ERROR (self, STREAM, FORMAT,
          ("Unusable %s caps: %s.", is_target ? "target" : "frame",
              error->message), ("%" GST_PTR_FORMAT, caps));
      gst_event_unref (event);
      return GST_FLOW_NOT_NEGOTIATED;
    }
    if (want != 0 && info.dim != want) {
      if (is_target)
        TRAIN_ERROR (self, STREAM, FORMAT,
            ("Targets have %u values per frame but model \"%s\" gives %u.",
                info.dim, self->s.init_model, want), (NULL));
      else
        TRAIN_ERROR (self, STREAM, FORMAT,
            ("Frames have %u values but model \"%s\" takes %u per frame.",
                info.dim, self->s.init_model, want), (NULL));
      gst_event_unref (event);
      return GST_FLOW_NOT_NEGOTIATED;
    }
    if (!is_target && self->source == SOURCE_TARGET_PAD && info.family ==
        GST_LSTM_FRAMES_TENSORS && info.fps_n == 0)
      GST_DEBUG_OBJECT (self, "frames without a frame rate: buffer "
          "durations time them");
    if (!is_target && self->s.features == NULL) {
      /* frames from an lstmfeatures: record its configuration */
      gchar *f = gst_lstm_features_query_config (GST_PAD (pad));
      GST_DEBUG_OBJECT (self, "upstream features: %s", f ? f : "none");
      GST_OBJECT_LOCK (self);
      g_free (self->upstream_features);
      self->upstream_features = f;
      GST_OBJECT_UNLOCK (self);
    }
  }
  return GST_AGGREGATOR_CLASS (gst_lstm_train_agg_parent_class)->
      sink_event_pre_queue (agg, pad, event);
}

static void break_stream (GstLstmTrainAgg *self);

/* The aggregate thread, in stream order. */
static gboolean
agg_sink_event (GstAggregator *agg, GstAggregatorPad *pad, GstEvent *event)
{
  GstLstmTrainAgg *self = GST_LSTM_TRAIN_AGG (agg);
  gboolean is_target = pad != self->sinkpad;
  PadStream *ps = is_target ? &self->tg : &self->in;

  switch (GST_EVENT_TYPE (event)) {
    case GST_EVENT_CAPS:{
      GstLstmFramesInfo info;
      GstCaps *caps;
      guint *dim = is_target ? &self->out_dim : &self->in_dim;

      gst_event_parse_caps (event, &caps);
      if (!gst_lstm_frames_info_from_caps (&info, caps, NULL)) {
        gst_event_unref (event);
        return FALSE;           /* refused before the queue */
      }
      if (*dim != 0 && info.dim != *dim) {
        TRAIN_ERROR (self, STREAM, FORMAT,
            ("The %s changed from %u to %u values per frame mid-stream.",
                is_target ? "targets" : "frames", *dim, info.dim), (NULL));
        self->failed = TRUE;
        gst_event_unref (event);
        return FALSE;
      }
      *dim = info.dim;
      if (!is_target && self->source == SOURCE_FORECAST)
        self->out_dim = info.dim;
      ps->info = info;
      ps->have_caps = TRUE;
      GST_DEBUG_OBJECT (pad, "%u values per frame, %d/%d frames/s",
          info.dim, info.fps_n, info.fps_d);
      /* frame caps stop here: the internal output has its own */
      gst_event_unref (event);
      return TRUE;
    }
    case GST_EVENT_SEGMENT:
    case GST_EVENT_STREAM_START:
      ps->next = GST_CLOCK_TIME_NONE;
      if (!is_target)
        break_stream (self);
      break;
    case GST_EVENT_GAP:{
      gboolean timed;
      /* a gap before any time segment (after a flush, upstream sent no new
       * one) cannot be placed; GstAggregator would clip it against the
       * undefined segment, a CRITICAL */
      GST_OBJECT_LOCK (pad);
      timed = pad->segment.format == GST_FORMAT_TIME;
      GST_OBJECT_UNLOCK (pad);
      if (!timed) {
        GST_DEBUG_OBJECT (pad, "gap before a time segment: dropped");
        gst_event_unref (event);
        return TRUE;
      }
      break;
    }
    default:
      break;
  }
  return GST_AGGREGATOR_CLASS (gst_lstm_train_agg_parent_class)->sink_event
      (agg, pad, event);
}

static GstFlowReturn
agg_flush (GstAggregator *agg)
{
  GstLstmTrainAgg *self = GST_LSTM_TRAIN_AGG (agg);

  break_stream (self);
  self->buf_offset = 0;
  self->buf_started = FALSE;
  self->in.next = self->tg.next = GST_CLOCK_TIME_NONE;
  g_array_set_size (self->tg_start, 0);
  g_array_set_size (self->tg_end, 0);
  g_array_set_size (self->tg_values, 0);
  self->tg_head = 0;
  return GST_FLOW_OK;
}

/* ---- frames and their targets ---- */

/* Takes one frame with its target (@cls for classes, @values for
 * numbers; @has: whether it has one). */
static gboolean
emit (GstLstmTrainAgg *self, const float *frame, gboolean has, guint cls,
    const float *values)
{
  guint I = self->in_dim, O = self->out_dim;

  self->n_frames++;
  self->n_targets += has;
  if (self->s.online) {
    guint k;
    if (!gst_lstm_train_agg_ensure_online_trainer (self))
      return FALSE;
    k = self->w_len++;
    memcpy (self->w_frames + (gsize) k * I, frame, I * sizeof (float));
    if (self->classify) {
      self->w_classes[k] = has ? cls : LSTM_TARGET_IGNORE;
    } else {
      self->w_mask[k] = has;
      if (has)
        memcpy (self->w_values + (gsize) k * O, values, O * sizeof (float));
    }
    if (self->w_len == self->s.train.trainer.sequence_length)
      return gst_lstm_train_agg_step_window (self) && gst_lstm_train_agg_maybe_save (self);
    return TRUE;
  }

  if (self->c_breaks->len == 0) {
    gsize first = 0;
    g_array_append_val (self->c_breaks, first);
    self->n_stretches++;
  }
  g_array_append_vals (self->c_frames, frame, I);
  if (self->classify) {
    guint c = has ? cls : LSTM_TARGET_IGNORE;
    g_array_append_val (self->c_classes, c);
  } else {
    guint8 m = has;
    if (O == 0) {
      TRAIN_ERROR (self, STREAM, FORMAT,
          ("The target pad gave no caps: its frame size is unknown."),
          (NULL));
      return FALSE;
    }
    g_array_append_val (self->c_mask, m);
    if (has)
      g_array_append_vals (self->c_values, values, O);
    else
      g_array_set_size (self->c_values, self->c_values->len + O);
  }
  return TRUE;
}

/* A discontinuity: the stream goes on from a fresh state. */
static void
break_stream (GstLstmTrainAgg *self)
{
  self->fifo_len = 0;
  self->fifo_pos = 0;
  if (self->s.online) {
    if (self->trainer != NULL) {
      if (!gst_lstm_train_agg_step_window (self))
        self->failed = TRUE;
      lstm_trainer_reset_online_state (self->trainer);
    }
    return;
  }
  if (self->c_breaks->len > 0) {
    gsize here = self->c_frames->len / MAX (self->in_dim, 1);
    if (g_array_index (self->c_breaks, gsize, self->c_breaks->len - 1) !=
        here) {
      g_array_append_val (self->c_breaks, here);
      self->n_stretches++;
    }
  }
}

/* Forecasting: frame t's target is frame t + horizon. */
static gboolean
push_forecast (GstLstmTrainAgg *self, const float *frame)
{
  guint I = self->in_dim, h = self->s.horizon;
  float *slot;

  if (self->fifo == NULL)
    self->fifo = g_new (float, (gsize) h * I);
  if (self->fifo_len == h) {
    /* the oldest frame gets this one as its target, then makes room */
    slot = self->fifo + (gsize) self->fifo_pos * I;
    if (!emit (self, slot, TRUE, 0, frame))
      return FALSE;
    memcpy (slot, frame, I * sizeof (float));
    self->fifo_pos = (self->fifo_pos + 1) % h;
    return TRUE;
  }
  slot = self->fifo + (gsize) ((self->fifo_pos + self->fifo_len) % h) * I;
  memcpy (slot, frame, I * sizeof (float));
  self->fifo_len++;
  return TRUE;
}

/* The buffer time of frame @i of a buffer of @n frames starting at @base
 * (lasting @dur): from the rate for numeric audio, else from the buffer's
 * duration, else from the caps' frame rate. */
static GstClockTime
frame_time (const GstLstmFramesInfo *info, GstClockTime base,
    GstClockTime dur, gsize n, gsize i)
{
  GstClockTime fd;

  if (!GST_CLOCK_TIME_IS_VALID (base))
    return GST_CLOCK_TIME_NONE;
  if (i == 0)
    return base;
  if (info->family == GST_LSTM_FRAMES_AUDIO && info->rate_n > 0)
    return base + gst_util_uint64_scale_int (i, GST_SECOND, info->rate_n);
  if (GST_CLOCK_TIME_IS_VALID (dur) && n > 0)
    return base + gst_util_uint64_scale (i, dur, n);
  fd = gst_lstm_frames_info_frame_duration (info);
  return GST_CLOCK_TIME_IS_VALID (fd) ? base + i * fd : GST_CLOCK_TIME_NONE;
}

/* Appends the frames of a target buffer to the store (running times). */
static gboolean
take_target_buffer (GstLstmTrainAgg *self, GstBuffer *buf)
{
  GstSegment *seg = &self->targetpad->segment;
  GstClockTime base, dur = GST_BUFFER_DURATION (buf);
  guint O = self->out_dim;
  GstMapInfo map;
  gsize n, i;

  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP) ||
      gst_buffer_get_size (buf) == 0) {
    self->tg.next = GST_CLOCK_TIME_NONE;
    return TRUE;                /* no targets for that while */
  }
  if (!self->tg.have_caps || O == 0) {
    TRAIN_ERROR (self, STREAM, FORMAT,
        ("Target buffer without caps."), (NULL));
    return FALSE;
  }
  if (gst_buffer_get_size (buf) % ((gsize) O * sizeof (float)) != 0) {
    TRAIN_ERROR (self, STREAM, FORMAT,
        ("A target buffer of %" G_GSIZE_FORMAT " bytes does not hold whole "
            "frames of %u values.", gst_buffer_get_size (buf), O), (NULL));
    return FALSE;
  }
  n = gst_buffer_get_size (buf) / ((gsize) O * sizeof (float));
  base = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : self->tg.next;
  if (!GST_CLOCK_TIME_IS_VALID (base) ||
      !GST_CLOCK_TIME_IS_VALID (frame_time (&self->tg.info, base, dur, n,
              n))) {
    TRAIN_ERROR (self, STREAM, FORMAT,
        ("Target frames need timestamps and a rate (or buffer durations) "
            "to be lined up with the frames."), (NULL));
    return FALSE;
  }
  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    TRAIN_ERROR (self, STREAM, FAILED, ("Cannot read a target buffer."),
        (NULL));
    return FALSE;
  }
  /* compact what expired */
  if (self->tg_head > 0 && self->tg_head * 2 >= self->tg_start->len) {
    g_array_remove_range (self->tg_start, 0, self->tg_head);
    g_array_remove_range (self->tg_end, 0, self->tg_head);
    g_array_remove_range (self->tg_values, 0, self->tg_head * O);
    self->tg_head = 0;
  }
  for (i = 0; i < n; i++) {
    GstClockTime s = frame_time (&self->tg.info, base, dur, n, i);
    GstClockTime e = frame_time (&self->tg.info, base, dur, n, i + 1);
    s = gst_segment_to_running_time (seg, GST_FORMAT_TIME, s);
    e = gst_segment_to_running_time (seg, GST_FORMAT_TIME, e);
    if (!GST_CLOCK_TIME_IS_VALID (s) || !GST_CLOCK_TIME_IS_VALID (e) ||
        e <= s)
      continue;                 /* outside the segment */
    g_array_append_val (self->tg_start, s);
    g_array_append_val (self->tg_end, e);
    g_array_append_vals (self->tg_values, (const float *) map.data + i * O,
        O);
  }
  gst_buffer_unmap (buf, &map);
  self->tg.next = frame_time (&self->tg.info, base, dur, n, n);
  return TRUE;
}

typedef enum
{
  LOOKUP_READY,
  LOOKUP_WAIT,
  LOOKUP_ERROR,
} Lookup;

/* The target of the frame at running time @rt: the target frame whose
 * span holds it, reading target buffers as far as needed. */
static Lookup
lookup_target (GstLstmTrainAgg *self, GstClockTime rt, const float **values)
{
  *values = NULL;
  if (!GST_CLOCK_TIME_IS_VALID (rt))
    return LOOKUP_READY;
  for (;;) {
    GstBuffer *buf;
    guint len = self->tg_start->len;

    while (self->tg_head < len &&
        g_array_index (self->tg_end, GstClockTime, self->tg_head) <= rt)
      self->tg_head++;
    if (self->tg_head < len) {
      if (g_array_index (self->tg_start, GstClockTime, self->tg_head) <= rt)
        *values = &g_array_index (self->tg_values, float,
            (gsize) self->tg_head * self->out_dim);
      return LOOKUP_READY;      /* covered, or before the next target */
    }
    buf = gst_aggregator_pad_peek_buffer (self->targetpad);
    if (buf == NULL)
      return gst_aggregator_pad_is_eos (self->targetpad) ? LOOKUP_READY :
          LOOKUP_WAIT;
    if (!take_target_buffer (self, buf)) {
      gst_buffer_unref (buf);
      return LOOKUP_ERROR;
    }
    gst_buffer_unref (buf);
    gst_aggregator_pad_drop_buffer (self->targetpad);
  }
}

typedef enum
{
  BUFFER_DONE,
  BUFFER_WAIT,
  BUFFER_ERROR,
} BufferResult;

/* Takes the frames of the queued sink buffer from buf_offset on. */
static BufferResult
process_buffer (GstLstmTrainAgg *self, GstBuffer *buf)
{
  GstSegment *seg = &self->sinkpad->segment;
  GstClockTime base, dur = GST_BUFFER_DURATION (buf);
  guint I = self->in_dim;
  gsize n, i, frame_bytes;
  BufferResult res = BUFFER_DONE;
  GstMapInfo map;

  if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_GAP)) {
    break_stream (self);
    self->in.next = GST_CLOCK_TIME_NONE;
    return BUFFER_DONE;
  }
  if (gst_buffer_get_size (buf) == 0)
    return BUFFER_DONE;
  if (!self->in.have_caps || I == 0) {
    TRAIN_ERROR (self, STREAM, FORMAT, ("Frames without caps."), (NULL));
    return BUFFER_ERROR;
  }
  frame_bytes = (gsize) I * sizeof (float);
  if (gst_buffer_get_size (buf) % frame_bytes != 0) {
    TRAIN_ERROR (self, STREAM, FORMAT,
        ("A buffer of %" G_GSIZE_FORMAT " bytes does not hold whole frames "
            "of %u values.", gst_buffer_get_size (buf), I), (NULL));
    return BUFFER_ERROR;
  }
  /* a padded buffer (GstLstmPadding): its real frames only */
  n = gst_buffer_get_lstm_valid_frames (buf,
      (guint) MIN (gst_buffer_get_size (buf) / frame_bytes, G_MAXUINT));
  if (self->scratch == NULL)
    self->scratch = g_new (float, I);
  if (!self->buf_started) {
    self->buf_started = TRUE;
    if (GST_BUFFER_FLAG_IS_SET (buf, GST_BUFFER_FLAG_DISCONT))
      break_stream (self);
  }
  base = GST_BUFFER_PTS_IS_VALID (buf) ? GST_BUFFER_PTS (buf) : self->in.next;
  if (!gst_buffer_map (buf, &map, GST_MAP_READ)) {
    TRAIN_ERROR (self, STREAM, FAILED, ("Cannot read a buffer."), (NULL));
    return BUFFER_ERROR;
  }
  for (i = self->buf_offset; i < n; i++) {
    /* copied: mapped memory need not be aligned for floats */
    float *x = self->scratch;
    const float *values = NULL;
    gboolean ok = TRUE;

    memcpy (x, map.data + i * frame_bytes, frame_bytes);

    switch (self->source) {
      case SOURCE_LABEL:
        ok = emit (self, x, TRUE, self->label_class, NULL);
        break;
      case SOURCE_FORECAST:
        ok = push_forecast (self, x);
        break;
      case SOURCE_LABEL_FILE:{
        GstClockTime t = frame_time (&self->in.info, base, dur, n, i);
        GstClockTime st = GST_CLOCK_TIME_IS_VALID (t) ?
            gst_segment_to_stream_time (seg, GST_FORMAT_TIME, t) :
            GST_CLOCK_TIME_NONE;
        const gchar *label;
        if (!GST_CLOCK_TIME_IS_VALID (st)) {
          TRAIN_ERROR (self, STREAM, FORMAT,
              ("Frames need timestamps (and a rate) to be labelled from a "
                  "label file."), (NULL));
          ok = FALSE;
          break;
        }
        label = lstm_label_track_lookup (self->track,
            (double) st / GST_SECOND);
        ok = emit (self, x, label != NULL, label ?
            GPOINTER_TO_UINT (g_hash_table_lookup (self->class_index,
                    label)) - 1 : 0, NULL);
        break;
      }
      case SOURCE_TARGET_PAD:{
        GstClockTime t = frame_time (&self->in.info, base, dur, n, i);
        GstClockTime rt;
        Lookup l;
        if (!GST_CLOCK_TIME_IS_VALID (t)) {
          TRAIN_ERROR (self, STREAM, FORMAT,
              ("Frames need timestamps (and a rate) to be lined up with "
                  "the target pad's frames."), (NULL));
          ok = FALSE;
          break;
        }
        rt = gst_segment_to_running_time (seg, GST_FORMAT_TIME, t);
        l = lookup_target (self, rt, &values);
        if (l == LOOKUP_WAIT) {
          self->buf_offset = i;
          res = BUFFER_WAIT;
          break;
        }
        ok = l == LOOKUP_READY && emit (self, x, values != NULL, 0, values);
        break;
      }
    }
    if (!ok)
      res = BUFFER_ERROR;
    if (res != BUFFER_DONE)
      break;
  }
  gst_buffer_unmap (buf, &map);
  if (res == BUFFER_DONE)
    self->in.next = frame_time (&self->in.info, base, dur, n, n);
  return res;
}

static GstFlowReturn
agg_aggregate (GstAggregator *agg, gboolean timeout)
{
  GstLstmTrainAgg *self = GST_LSTM_TRAIN_AGG (agg);

  (void) timeout;
  for (;;) {
    GstBuffer *buf;
    BufferResult res;

    if (self->failed)
      return GST_FLOW_ERROR;
    buf = gst_aggregator_pad_peek_buffer (self->sinkpad);
    if (buf == NULL) {
      gboolean ok;
      if (!gst_aggregator_pad_is_eos (self->sinkpad))
        return GST_FLOW_OK;
      /* EOS: what is left of forecast windows has no target */
      ok = self->s.online ? gst_lstm_train_agg_finish_online (self) : gst_lstm_train_agg_train_collected (self);
      self->failed = !ok;
      return ok ? GST_FLOW_EOS : GST_FLOW_ERROR;
    }
    res = process_buffer (self, buf);
    gst_buffer_unref (buf);
    if (res == BUFFER_WAIT)
      return GST_FLOW_OK;
    if (res == BUFFER_ERROR || self->failed) {
      self->failed = TRUE;
      return GST_FLOW_ERROR;
    }
    gst_aggregator_pad_drop_buffer (self->sinkpad);
    self->buf_offset = 0;
    self->buf_started = FALSE;
  }
}
