/* GStreamer lstm plugin: lstmtrain, a sink that trains a model
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:element-lstmtrain
 * @title: lstmtrain
 * @see_also: lstminfer, rawaudioparse
 *
 * Trains an LSTM or GRU model on a stream of frames and saves it as a
 * safetensors file that `lstminfer`, `lstm run` and PyTorch load. The
 * numerics are liblstm's, the same as `lstm train`'s: Adam or SGD,
 * mini-batches, truncated backpropagation through time.
 *
 * lstmtrain is a sink: it ends a pipeline, and the pipeline's EOS message
 * comes once the model is trained and saved. Inside, it is a bin holding an
 * aggregator (which lines the frames up with their targets) and a
 * `fakesink`.
 *
 * Frames arrive on the `sink` pad in either caps family of the plugin:
 * `other/tensors` with `dimensions=(string)D:N`, or
 * `audio/x-raw,format=F32LE,layout=interleaved,channels=D` (one frame per
 * sample: raw float files through `filesrc ! queue ! rawaudioparse`,
 * `appsrc`). The targets come from exactly one of:
 *
 * * #GstLstmTrain:label: one class for the whole stream (a classifier);
 * * #GstLstmTrain:label-file: a label track, `start end label` lines in
 *   seconds separated by TABs or commas, as Audacity exports them (`\`
 *   lines are skipped): each frame gets the label of the stretch holding its
 *   stream time; frames outside every stretch run through the model but
 *   count in no loss;
 * * the `target` request pad: a second frame stream of numeric targets (a
 *   regression model), lined up by running time: each frame gets the target
 *   frame whose time span holds the frame's time, and frames before the
 *   first or between targets get none. When both streams come from one
 *   source (a `tee`, `deinterleave`), put a `queue` on each branch;
 * * #GstLstmTrain:mode=forecast: the targets are the input frames
 *   #GstLstmTrain:horizon frames ahead (a forecaster).
 *
 * The model is created with #GstLstmTrain:cell, #GstLstmTrain:hidden-size
 * and #GstLstmTrain:num-layers (a linear head on top: softmax for
 * classifiers; LSTM forget gates start with bias 1, as Keras has it), or
 * #GstLstmTrain:init-model is fine-tuned. A new classifier's labels are
 * #GstLstmTrain:labels, or the label track's labels in sorted order.
 *
 * A new forecaster (mode=forecast) trained at EOS is made from the collected
 * rows by liblstm's recipe of forecasters (lstm_model_new_for_series()),
 * the one `lstm train --series` uses: it predicts the change from each
 * frame's value (a residual output; #GstLstmTrain:no-residual: levels),
 * starts with a lag layer whose lags are chosen by AIC among least-squares
 * autoregressions bounded by the season (#GstLstmTrain:lags,
 * #GstLstmTrain:season), and its head's weights on those lags start at
 * that autoregression's coefficients. The rows of every stretch between
 * discontinuities are taken end to end. The training properties not set
 * take liblstm's training defaults of forecasters
 * (lstm_train_settings_apply_series_defaults(): a GRU of 32, up to 200
 * epochs stopping after 10 without a better validation loss, windows of
 * 32, Adam 3e-3, a lane per 512 rows, weight decay 0.2 / training rows),
 * and the validation frames are scored after the training frames of their
 * stretch have run through the model: given the same rows and options,
 * defaults included, lstmtrain and `lstm train --series` write the same
 * weights. Online
 * (#GstLstmTrain:online), a new forecaster is made before any row has
 * come: it predicts levels without a lag layer; lags listed or a season are
 * refused (RESOURCE SETTINGS), and the defaults post a WARNING message
 * saying so, which `lags=none no-residual=true` (exactly that) does not.
 *
 * By default frames are collected and training runs at EOS, over
 * #GstLstmTrain:epochs passes: the stream (cut at discontinuities) is split
 * into #GstLstmTrain:batch-size contiguous pieces that train side by side,
 * #GstLstmTrain:sequence-length frames per optimizer step with the
 * recurrent state carried from step to step; the last
 * #GstLstmTrain:validation-fraction of the frames is held out for
 * validation. A new model standardises its inputs (and, for numeric
 * targets, fits standardised targets, folded back into the saved model) with
 * statistics of the training frames, as `lstm train` does. With
 * #GstLstmTrain:online=true the model learns while the stream flows
 * instead: one optimizer step per #GstLstmTrain:sequence-length frames as
 * they arrive, the state carried from window to window and reset at
 * discontinuities; the whole stream is one epoch, and a seeded
 * #GstLstmTrain:validation-fraction of the windows is held out. Online, a
 * new model standardises its input with running means and standard
 * deviations of the stream so far (Welford's algorithm; numeric targets
 * too, with the scaling folded into the output layer), frozen into the
 * model whenever it is saved; #GstLstmTrain:save-interval saves it every so
 * many frames while the stream flows.
 *
 * The training properties (#GstLstmTrain:cell to #GstLstmTrain:season:
 * `hidden-size`, `num-layers`, `forget-bias`, `epochs`, `batch-size`,
 * `sequence-length`, `learning-rate`, `optimizer`, `momentum`,
 * `weight-decay`, `clip-norm`, `schedule`, `step-size`, `gamma`, `min-lr`,
 * `loss`, `clip-loss`, `validation-fraction`, `patience`,
 * `checkpoint-interval`, `seed`, and for new forecasters `no-residual`,
 * `lags`, `season`) are installed from liblstm's table of
 * training options (lstm_train_options_list()): they are `lstm train`'s
 * long options, with the same ranges, defaults and meaning, and a new model
 * is liblstm's recipe (lstm_model_new_from_recipe()), as `lstm train`
 * makes it. `learning-rate` 0 (the default) is the optimizer's usual rate
 * (1e-3 for Adam, 1e-2 for SGD).
 *
 * When #GstLstmTrain:features is not set and the frames come from an
 * `lstmfeatures` (directly or through elements that pass queries on),
 * lstmtrain asks it for its configuration (the custom query
 * `lstm-features-config`, sent upstream when the frame caps arrive) and
 * records it in the model, so that `lstm run MODEL AUDIO` and
 * `lstmfeatures model=` compute the frames it was trained on.
 *
 * The model is saved to #GstLstmTrain:location at EOS, and every
 * #GstLstmTrain:checkpoint-interval epochs as a checkpoint (the model plus
 * its optimizer state, as liblstm's trainer writes them; it loads as a
 * model); every save writes a temporary file in the same folder and renames
 * it, so the file is never half-written. The location is checked when the
 * element starts. With `gst-launch-1.0 -e`, Ctrl-C sends EOS: the model
 * trains (or, online, keeps what it learnt) and is saved. Stopping the
 * pipeline without EOS saves nothing more: while training at EOS, it
 * interrupts training, and the location keeps the last checkpoint (one of
 * that moment, when checkpoint-interval is not 0).
 *
 * Errors: an unwritable location (RESOURCE OPEN_WRITE, at start), a label
 * track that does not parse (RESOURCE READ, naming the line), no targets or
 * more than one kind of them, a label that the init-model does not have or
 * a new classifier with fewer than two labels (RESOURCE SETTINGS), frames
 * or targets of a size the init-model does not take (STREAM FORMAT, with
 * both sizes), a stream without a single frame with a target, and a run
 * that diverges (STREAM FAILED).
 *
 * ## Messages
 *
 * After every epoch (and, online, every #GstLstmTrain:progress-interval
 * optimizer steps) an element message named `lstm-train-progress` is
 * posted:
 *
 * * #guint `epoch`: the epoch, from 1.
 * * #guint64 `step`: optimizer steps so far.
 * * #gboolean `epoch-done`: %TRUE at the end of an epoch, %FALSE for the
 *   online messages between.
 * * #gdouble `loss`: the mean training loss of the epoch (so far): mean
 *   squared error for numeric targets, cross-entropy for classes (or the
 *   #GstLstmTrain:loss chosen).
 * * #gdouble `val-loss`: the validation loss; absent when nothing is held
 *   out, and in the online messages between epochs.
 * * #gdouble `accuracy`: classifiers only: the fraction of training frames
 *   whose best class is the target.
 * * #gdouble `val-accuracy`: the same on the validation frames, when there
 *   are some.
 * * #gdouble `frames-per-second`: training throughput.
 *
 * A field that was not measured is left out, never NaN.
 *
 * ## Example launch line
 * |[
 * gst-launch-1.0 -m filesrc location=examples/data/sine.f32 ! queue ! rawaudioparse use-sink-caps=false format=pcm pcm-format=f32le num-channels=1 sample-rate=100 ! lstmtrain mode=forecast location=sine-forecaster.safetensors hidden-size=16 epochs=40 batch-size=4 sequence-length=25 learning-rate=0.01
 * ]|
 * Trains a forecaster of the next value of a raw float32 series (10 s at
 * 100 values per second), printing the loss of each epoch; `lstm run
 * sine-forecaster.safetensors examples/data/sine.f32 forecast.f32` then
 * forecasts with it, as does `lstminfer model=sine-forecaster.safetensors`.
 * |[
 * gst-launch-1.0 -m filesrc location=examples/data/balance.f32 ! queue ! rawaudioparse use-sink-caps=false format=pcm pcm-format=f32le num-channels=2 sample-rate=100 ! lstmtrain label-file=examples/data/balance-labels.txt location=balance-tagger.safetensors hidden-size=8 epochs=30 batch-size=4 sequence-length=50 learning-rate=0.01
 * ]|
 * Trains a `left`/`right` tagger on a two-channel stream labelled by an
 * Audacity label track.
 * |[
 * gst-launch-1.0 -m filesrc location=examples/data/sine.f32 ! queue ! rawaudioparse use-sink-caps=false format=pcm pcm-format=f32le num-channels=1 sample-rate=100 ! lstmtrain mode=forecast online=true lags=none no-residual=true location=sine-online.safetensors hidden-size=16 sequence-length=10 learning-rate=0.01 progress-interval=20
 * ]|
 * Learns while the stream flows: one step per 10 frames, a message every
 * 20 steps, the model saved at EOS (a forecaster of levels without lags, as
 * online forecasters are).
 */

#include "config.h"

#include <math.h>
#include <string.h>

#include "gstlstmtrain.h"
#include "gstlstmtrainagg.h"

GST_DEBUG_CATEGORY_STATIC (gst_lstm_train_debug);
#define GST_CAT_DEFAULT gst_lstm_train_debug

#define DEFAULT_LOCATION NULL
#define DEFAULT_MODE GST_LSTM_TRAIN_MODE_AUTO
#define DEFAULT_HORIZON 1
#define MAX_HORIZON 1000000
#define DEFAULT_LABEL NULL
#define DEFAULT_LABELS NULL
#define DEFAULT_LABEL_FILE NULL
#define DEFAULT_INIT_MODEL NULL
#define DEFAULT_FEATURES NULL
#define DEFAULT_ONLINE FALSE
#define DEFAULT_PROGRESS_INTERVAL 100
#define DEFAULT_SAVE_INTERVAL 0
#define DEFAULT_MAX_MODEL_SIZE LSTM_DEFAULT_MAX_MODEL_SIZE

enum
{
  PROP_0,
  PROP_LOCATION,
  PROP_MODE,
  PROP_HORIZON,
  PROP_LABEL,
  PROP_LABELS,
  PROP_LABEL_FILE,
  PROP_INIT_MODEL,
  PROP_FEATURES,
  PROP_ONLINE,
  PROP_PROGRESS_INTERVAL,
  PROP_SAVE_INTERVAL,
  PROP_MAX_MODEL_SIZE,
  /* then one per option of lstm_train_options_list(), in its order */
  PROP_TRAIN_OPTION_0,
};

struct _GstLstmTrain
{
  GstBin parent;

  GstLstmTrainAgg *agg;
  GstElement *fakesink;
  GstPad *target_ghost;         /* under the object lock */

  GstLstmTrainSettings settings;        /* under the object lock */
};

G_DEFINE_TYPE (GstLstmTrain, gst_lstm_train, GST_TYPE_BIN);
GST_ELEMENT_REGISTER_DEFINE (lstmtrain, "lstmtrain", GST_RANK_NONE,
    GST_TYPE_LSTM_TRAIN);

static void gst_lstm_train_finalize (GObject *object);
static void gst_lstm_train_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec);
static void gst_lstm_train_get_property (GObject *object, guint prop_id,
    GValue *value, GParamSpec *pspec);
static GstPad *gst_lstm_train_request_new_pad (GstElement *element,
    GstPadTemplate *templ, const gchar *name, const GstCaps *caps);
static void gst_lstm_train_release_pad (GstElement *element, GstPad *pad);

/* The property of a training option: its name, blurb, range and default
 * are liblstm's (the same as lstm train's command-line option). */
static GParamSpec *
train_option_pspec (const LstmTrainOption *o, GParamFlags flags)
{
  switch (o->type) {
    case LSTM_TRAIN_OPTION_UINT:
      return g_param_spec_uint (o->name, o->name, o->blurb,
          (guint) o->minimum, (guint) o->maximum, (guint) o->default_value,
          flags);
    case LSTM_TRAIN_OPTION_UINT64:
      return g_param_spec_uint64 (o->name, o->name, o->blurb,
          (guint64) o->minimum, G_MAXUINT64, (guint64) o->default_value,
          flags);
    case LSTM_TRAIN_OPTION_DOUBLE:
      return g_param_spec_double (o->name, o->name, o->blurb, o->minimum,
          o->maximum, o->default_value, flags);
    case LSTM_TRAIN_OPTION_CHOICE:
      return g_param_spec_enum (o->name, o->name, o->blurb,
          gst_lstm_choice_enum_get_type (o->name, o->choices),
          (gint) o->default_value, flags);
    case LSTM_TRAIN_OPTION_DOUBLE_OR_NONE:{
      gchar buf[G_ASCII_DTOSTR_BUF_SIZE];
      return g_param_spec_string (o->name, o->name, o->blurb,
          isnan (o->default_value) ? "none" : g_ascii_dtostr (buf,
              sizeof buf, o->default_value), flags);
    }
    case LSTM_TRAIN_OPTION_BOOLEAN:
      return g_param_spec_boolean (o->name, o->name, o->blurb,
          o->default_value != 0, flags);
    case LSTM_TRAIN_OPTION_LAGS:
      return g_param_spec_string (o->name, o->name, o->blurb, "auto", flags);
  }
  g_return_val_if_reached (NULL);
}

static void
gst_lstm_train_class_init (GstLstmTrainClass *klass)
{
  GObjectClass *gobject_class = G_OBJECT_CLASS (klass);
  GstElementClass *element_class = GST_ELEMENT_CLASS (klass);
  const GParamFlags flags = G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS |
      GST_PARAM_MUTABLE_READY;
  const LstmTrainOption *opts;
  guint n_opts, i;

  gobject_class->set_property = gst_lstm_train_set_property;
  gobject_class->get_property = gst_lstm_train_get_property;
  gobject_class->finalize = gst_lstm_train_finalize;

  /**
   * GstLstmTrain:location:
   *
   * Where the trained model is saved (safetensors), atomically, at EOS and
   * every #GstLstmTrain:checkpoint-interval epochs (online: also every
   * #GstLstmTrain:save-interval frames). Required; checked when the element
   * starts (the folder must exist and take new files).
   */
  g_object_class_install_property (gobject_class, PROP_LOCATION,
      g_param_spec_string ("location", "Location",
          "Where to save the trained model (safetensors; written "
          "atomically at EOS and every checkpoint-interval epochs)",
          DEFAULT_LOCATION, flags));

  /**
   * GstLstmTrain:mode:
   *
   * `auto`: the targets come from #GstLstmTrain:label,
   * #GstLstmTrain:label-file or the `target` pad. `forecast`: the targets
   * are the input frames #GstLstmTrain:horizon frames ahead.
   */
  g_object_class_install_property (gobject_class, PROP_MODE,
      g_param_spec_enum ("mode", "Mode",
          "Where the targets come from: label, label-file or the target pad "
          "(auto), or the input itself horizon frames ahead (forecast)",
          GST_TYPE_LSTM_TRAIN_MODE, DEFAULT_MODE, flags));

  /**
   * GstLstmTrain:horizon:
   *
   * With `mode=forecast`: how many frames ahead the model learns to
   * predict.
   */
  g_object_class_install_property (gobject_class, PROP_HORIZON,
      g_param_spec_uint ("horizon", "Horizon",
          "mode=forecast: predict the input this many frames ahead", 1,
          MAX_HORIZON, DEFAULT_HORIZON, flags));

  /**
   * GstLstmTrain:label:
   *
   * One class for every frame of the stream. The class must be one of
   * #GstLstmTrain:init-model's labels, or of #GstLstmTrain:labels for a new
   * model.
   */
  g_object_class_install_property (gobject_class, PROP_LABEL,
      g_param_spec_string ("label", "Label",
          "The class of every frame of the stream (one of labels, or of "
          "init-model's labels)", DEFAULT_LABEL, flags));

  /**
   * GstLstmTrain:labels:
   *
   * A new classifier's classes, comma-separated, in output order. Default:
   * the labels of #GstLstmTrain:label-file, sorted. Needed with
   * #GstLstmTrain:label (at least two classes) unless
   * #GstLstmTrain:init-model gives them.
   */
  g_object_class_install_property (gobject_class, PROP_LABELS,
      g_param_spec_string ("labels", "Labels",
          "A new classifier's classes, comma-separated, in output order "
          "(default: the label-file's labels, sorted)", DEFAULT_LABELS,
          flags));

  /**
   * GstLstmTrain:label-file:
   *
   * A label track: `start end label` lines, times in seconds, TAB- or
   * comma-separated (Audacity's export; `\` lines skipped). Each frame gets
   * the label of the stretch holding its stream time; frames outside every
   * stretch count in no loss.
   */
  g_object_class_install_property (gobject_class, PROP_LABEL_FILE,
      g_param_spec_string ("label-file", "Label file",
          "Label track labelling the frames by stream time: 'start end "
          "label' lines in seconds, TAB- or comma-separated (Audacity)",
          DEFAULT_LABEL_FILE, flags));

  /**
   * GstLstmTrain:init-model:
   *
   * A model to fine-tune instead of creating one (#GstLstmTrain:cell,
   * #GstLstmTrain:hidden-size, #GstLstmTrain:num-layers and
   * #GstLstmTrain:forget-bias then do not apply). Its frame size, output
   * size and labels must fit the stream and the targets.
   */
  g_object_class_install_property (gobject_class, PROP_INIT_MODEL,
      g_param_spec_string ("init-model", "Initial model",
          "Fine-tune this model (safetensors) instead of creating one",
          DEFAULT_INIT_MODEL, flags));

  /**
   * GstLstmTrain:features:
   *
   * A feature configuration (a JSON object, design.md section 5) stored in
   * the saved model as `lstm.features`, so that `lstmfeatures model=...`
   * and `lstm run` compute the frames the model was trained on. Replaces an
   * init-model's. When it is not set and the frames come from an
   * `lstmfeatures` (directly or through elements that pass queries on), that
   * element's configuration is recorded: lstmtrain asks for it with the
   * custom upstream query `lstm-features-config` when the frame caps come.
   */
  g_object_class_install_property (gobject_class, PROP_FEATURES,
      g_param_spec_string ("features", "Features",
          "Feature configuration (JSON object) stored in the model as "
          "lstm.features (default: an upstream lstmfeatures' configuration)",
          DEFAULT_FEATURES, flags));

  /**
   * GstLstmTrain:online:
   *
   * Learn while the stream flows (one step per
   * #GstLstmTrain:sequence-length frames, state carried) instead of
   * collecting the frames and training at EOS.
   */
  g_object_class_install_property (gobject_class, PROP_ONLINE,
      g_param_spec_boolean ("online", "Online",
          "Update the model while streaming, one step per sequence-length "
          "frames, instead of collecting frames and training at EOS",
          DEFAULT_ONLINE, flags));

  /**
   * GstLstmTrain:progress-interval:
   *
   * Online training: optimizer steps between `lstm-train-progress`
   * messages (besides the one at EOS); 0 posts only that one.
   */
  g_object_class_install_property (gobject_class, PROP_PROGRESS_INTERVAL,
      g_param_spec_uint ("progress-interval", "Progress interval",
          "Online: optimizer steps between lstm-train-progress messages (0 "
          "= only at the end)", 0, G_MAXUINT, DEFAULT_PROGRESS_INTERVAL,
          flags));

  /**
   * GstLstmTrain:save-interval:
   *
   * Online training: saves the model to #GstLstmTrain:location (atomically,
   * a loadable model, not a checkpoint) every this many frames of the
   * stream, counted from the start, at the end of the window that reaches
   * the count; 0 saves only at EOS.
   */
  g_object_class_install_property (gobject_class, PROP_SAVE_INTERVAL,
      g_param_spec_uint64 ("save-interval", "Save interval",
          "Online: save the model to location every this many frames while "
          "streaming (0 = only at EOS)", 0, G_MAXUINT64,
          DEFAULT_SAVE_INTERVAL, flags));

  /**
   * GstLstmTrain:max-model-size:
   *
   * The largest #GstLstmTrain:init-model file loaded, in bytes, checked
   * before it is read. The default is liblstm's, 2 GiB.
   */
  g_object_class_install_property (gobject_class, PROP_MAX_MODEL_SIZE,
      g_param_spec_uint64 ("max-model-size", "Maximum model size",
          "The largest init-model file loaded, in bytes", 1, G_MAXUINT64,
          DEFAULT_MAX_MODEL_SIZE, flags));

  /* the training options: liblstm's table, lstm train's options */
  opts = lstm_train_options_list (&n_opts);
  for (i = 0; i < n_opts; i++)
    g_object_class_install_property (gobject_class, PROP_TRAIN_OPTION_0 + i,
        train_option_pspec (&opts[i], flags));

  gst_element_class_add_static_pad_template (element_class,
      &gst_lstm_train_sink_template);
  gst_element_class_add_static_pad_template (element_class,
      &gst_lstm_train_target_template);
  gst_element_class_set_static_metadata (element_class,
      "LSTM/GRU training", "Sink/Analyzer",
      "Trains an LSTM or GRU model on a stream of frames (numeric audio or "
      "tensors) with targets from a label, a label track, a target stream "
      "or the stream itself ahead, and saves it; posts the loss of every "
      "epoch",
      "gst-lstm developers");

  element_class->request_new_pad =
      GST_DEBUG_FUNCPTR (gst_lstm_train_request_new_pad);
  element_class->release_pad = GST_DEBUG_FUNCPTR (gst_lstm_train_release_pad);

  GST_DEBUG_CATEGORY_INIT (gst_lstm_train_debug, "lstmtrain", 0,
      "LSTM/GRU training");

  gst_type_mark_as_plugin_api (GST_TYPE_LSTM_TRAIN_MODE, 0);
  for (i = 0; i < n_opts; i++)
    if (opts[i].type == LSTM_TRAIN_OPTION_CHOICE)
      gst_type_mark_as_plugin_api (gst_lstm_choice_enum_get_type
          (opts[i].name, opts[i].choices), 0);
}

static void
gst_lstm_train_init (GstLstmTrain *self)
{
  GstLstmTrainSettings *s = &self->settings;
  GstPadTemplate *templ;
  GstPad *pad, *ghost;

  s->location = g_strdup (DEFAULT_LOCATION);
  s->mode = DEFAULT_MODE;
  s->horizon = DEFAULT_HORIZON;
  s->online = DEFAULT_ONLINE;
  s->progress_interval = DEFAULT_PROGRESS_INTERVAL;
  s->save_interval = DEFAULT_SAVE_INTERVAL;
  s->max_model_size = DEFAULT_MAX_MODEL_SIZE;
  lstm_train_settings_init (&s->train);

  self->agg = gst_lstm_train_agg_new (GST_ELEMENT (self));
  gst_bin_add (GST_BIN (self), GST_ELEMENT (self->agg));

  /* the sink that ends the pipeline: never prerolls on data (none comes),
   * so it must not hold the state change */
  self->fakesink = gst_element_factory_make ("fakesink", "fakesink");
  if (self->fakesink != NULL) {
    g_object_set (self->fakesink, "sync", FALSE, "async", FALSE,
        "enable-last-sample", FALSE, NULL);
    gst_bin_add (GST_BIN (self), self->fakesink);
    gst_element_link_pads (GST_ELEMENT (self->agg), "src", self->fakesink,
        "sink");
  } else {
    GST_ERROR_OBJECT (self, "no fakesink element: the core elements are "
        "missing");
  }

  pad = gst_element_get_static_pad (GST_ELEMENT (self->agg), "sink");
  templ = gst_static_pad_template_get (&gst_lstm_train_sink_template);
  ghost = gst_ghost_pad_new_from_template ("sink", pad, templ);
  gst_object_unref (templ);
  gst_object_unref (pad);
  gst_element_add_pad (GST_ELEMENT (self), ghost);
}

static void
gst_lstm_train_finalize (GObject *object)
{
  GstLstmTrain *self = GST_LSTM_TRAIN (object);

  gst_lstm_train_settings_clear (&self->settings);
  G_OBJECT_CLASS (gst_lstm_train_parent_class)->finalize (object);
}

static void
set_string (gchar **dst, const GValue *value)
{
  g_free (*dst);
  *dst = g_value_dup_string (value);
}

/* A training option's property, into the settings. */
static void
set_train_option (GstLstmTrain *self, const LstmTrainOption *o,
    const GValue *value)
{
  LstmTrainSettings *t = &self->settings.train;
  g_autoptr (GError) error = NULL;
  g_autofree gchar *text = NULL;
  gboolean ok = TRUE;

  switch (o->type) {
    case LSTM_TRAIN_OPTION_UINT:
      ok = lstm_train_option_set_value (o, t, g_value_get_uint (value),
          &error);
      break;
    case LSTM_TRAIN_OPTION_UINT64:
      /* as text: a double would round large seeds */
      text = g_strdup_printf ("%" G_GUINT64_FORMAT,
          g_value_get_uint64 (value));
      ok = lstm_train_option_parse (o, t, text, &error);
      break;
    case LSTM_TRAIN_OPTION_DOUBLE:
      ok = lstm_train_option_set_value (o, t, g_value_get_double (value),
          &error);
      break;
    case LSTM_TRAIN_OPTION_CHOICE:
      ok = lstm_train_option_set_value (o, t, g_value_get_enum (value),
          &error);
      break;
    case LSTM_TRAIN_OPTION_DOUBLE_OR_NONE:
      ok = lstm_train_option_parse (o, t, g_value_get_string (value) ?
          g_value_get_string (value) : "none", &error);
      break;
    case LSTM_TRAIN_OPTION_BOOLEAN:
      ok = lstm_train_option_set_value (o, t, g_value_get_boolean (value),
          &error);
      break;
    case LSTM_TRAIN_OPTION_LAGS:
      /* NULL: the default */
      ok = lstm_train_option_parse (o, t, g_value_get_string (value) ?
          g_value_get_string (value) : "auto", &error);
      break;
  }
  if (!ok) {
    GST_WARNING_OBJECT (self, "%s not changed: %s", o->name, error->message);
  } else if (self->settings.given == NULL ||
      !g_strv_contains ((const gchar * const *) self->settings.given,
          o->name)) {
    /* set: the forecasters' defaults leave it alone */
    guint n = self->settings.given ? g_strv_length (self->settings.given) : 0;
    self->settings.given = g_renew (gchar *, self->settings.given, n + 2);
    self->settings.given[n] = g_strdup (o->name);
    self->settings.given[n + 1] = NULL;
  }
}

static void
get_train_option (GstLstmTrain *self, const LstmTrainOption *o,
    GValue *value)
{
  const LstmTrainSettings *t = &self->settings.train;
  double v = lstm_train_option_get_value (o, t);

  switch (o->type) {
    case LSTM_TRAIN_OPTION_UINT:
      g_value_set_uint (value, (guint) v);
      break;
    case LSTM_TRAIN_OPTION_UINT64:{
      g_autofree gchar *text = lstm_train_option_to_string (o, t);
      g_value_set_uint64 (value, g_ascii_strtoull (text, NULL, 10));
      break;
    }
    case LSTM_TRAIN_OPTION_DOUBLE:
      g_value_set_double (value, v);
      break;
    case LSTM_TRAIN_OPTION_CHOICE:
      g_value_set_enum (value, (gint) v);
      break;
    case LSTM_TRAIN_OPTION_DOUBLE_OR_NONE:
    case LSTM_TRAIN_OPTION_LAGS:
      g_value_take_string (value, lstm_train_option_to_string (o, t));
      break;
    case LSTM_TRAIN_OPTION_BOOLEAN:
      g_value_set_boolean (value, v != 0);
      break;
  }
}

static void
gst_lstm_train_set_property (GObject *object, guint prop_id,
    const GValue *value, GParamSpec *pspec)
{
  GstLstmTrain *self = GST_LSTM_TRAIN (object);
  GstLstmTrainSettings *s = &self->settings;
  const LstmTrainOption *opts;
  guint n_opts;

  opts = lstm_train_options_list (&n_opts);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      set_string (&s->location, value);
      break;
    case PROP_MODE:
      s->mode = g_value_get_enum (value);
      break;
    case PROP_HORIZON:
      s->horizon = g_value_get_uint (value);
      break;
    case PROP_LABEL:
      set_string (&s->label, value);
      break;
    case PROP_LABELS:
      set_string (&s->labels, value);
      break;
    case PROP_LABEL_FILE:
      set_string (&s->label_file, value);
      break;
    case PROP_INIT_MODEL:
      set_string (&s->init_model, value);
      break;
    case PROP_FEATURES:
      set_string (&s->features, value);
      break;
    case PROP_ONLINE:
      s->online = g_value_get_boolean (value);
      break;
    case PROP_PROGRESS_INTERVAL:
      s->progress_interval = g_value_get_uint (value);
      break;
    case PROP_SAVE_INTERVAL:
      s->save_interval = g_value_get_uint64 (value);
      break;
    case PROP_MAX_MODEL_SIZE:
      s->max_model_size = g_value_get_uint64 (value);
      break;
    default:
      if (prop_id >= PROP_TRAIN_OPTION_0 &&
          prop_id < PROP_TRAIN_OPTION_0 + n_opts)
        set_train_option (self, &opts[prop_id - PROP_TRAIN_OPTION_0], value);
      else
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

static void
gst_lstm_train_get_property (GObject *object, guint prop_id, GValue *value,
    GParamSpec *pspec)
{
  GstLstmTrain *self = GST_LSTM_TRAIN (object);
  GstLstmTrainSettings *s = &self->settings;
  const LstmTrainOption *opts;
  guint n_opts;

  opts = lstm_train_options_list (&n_opts);
  GST_OBJECT_LOCK (self);
  switch (prop_id) {
    case PROP_LOCATION:
      g_value_set_string (value, s->location);
      break;
    case PROP_MODE:
      g_value_set_enum (value, s->mode);
      break;
    case PROP_HORIZON:
      g_value_set_uint (value, s->horizon);
      break;
    case PROP_LABEL:
      g_value_set_string (value, s->label);
      break;
    case PROP_LABELS:
      g_value_set_string (value, s->labels);
      break;
    case PROP_LABEL_FILE:
      g_value_set_string (value, s->label_file);
      break;
    case PROP_INIT_MODEL:
      g_value_set_string (value, s->init_model);
      break;
    case PROP_FEATURES:
      g_value_set_string (value, s->features);
      break;
    case PROP_ONLINE:
      g_value_set_boolean (value, s->online);
      break;
    case PROP_PROGRESS_INTERVAL:
      g_value_set_uint (value, s->progress_interval);
      break;
    case PROP_SAVE_INTERVAL:
      g_value_set_uint64 (value, s->save_interval);
      break;
    case PROP_MAX_MODEL_SIZE:
      g_value_set_uint64 (value, s->max_model_size);
      break;
    default:
      if (prop_id >= PROP_TRAIN_OPTION_0 &&
          prop_id < PROP_TRAIN_OPTION_0 + n_opts)
        get_train_option (self, &opts[prop_id - PROP_TRAIN_OPTION_0], value);
      else
        G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
      break;
  }
  GST_OBJECT_UNLOCK (self);
}

void
gst_lstm_train_settings_clear (GstLstmTrainSettings *s)
{
  g_clear_pointer (&s->location, g_free);
  g_clear_pointer (&s->label, g_free);
  g_clear_pointer (&s->labels, g_free);
  g_clear_pointer (&s->label_file, g_free);
  g_clear_pointer (&s->init_model, g_free);
  g_clear_pointer (&s->features, g_free);
  g_clear_pointer (&s->given, g_strfreev);
}

void
gst_lstm_train_settings_copy (GstLstmTrainSettings *dst,
    const GstLstmTrainSettings *src)
{
  gst_lstm_train_settings_clear (dst);
  *dst = *src;
  dst->location = g_strdup (src->location);
  dst->label = g_strdup (src->label);
  dst->labels = g_strdup (src->labels);
  dst->label_file = g_strdup (src->label_file);
  dst->init_model = g_strdup (src->init_model);
  dst->features = g_strdup (src->features);
  dst->given = g_strdupv (src->given);
}

void
gst_lstm_train_get_settings (GstElement *bin, GstLstmTrainSettings *dst,
    gboolean *target_linked)
{
  GstLstmTrain *self = GST_LSTM_TRAIN (bin);

  GST_OBJECT_LOCK (self);
  gst_lstm_train_settings_copy (dst, &self->settings);
  *target_linked = self->target_ghost != NULL &&
      gst_pad_is_linked (self->target_ghost);
  GST_OBJECT_UNLOCK (self);
}

/* ---- the target request pad ---- */

static GstPad *
gst_lstm_train_request_new_pad (GstElement *element, GstPadTemplate *templ,
    const gchar *name, const GstCaps *caps)
{
  GstLstmTrain *self = GST_LSTM_TRAIN (element);
  GstPad *target, *ghost;

  (void) caps;
  if (g_strcmp0 (GST_PAD_TEMPLATE_NAME_TEMPLATE (templ), "target") != 0 ||
      (name != NULL && strcmp (name, "target") != 0))
    return NULL;
  GST_OBJECT_LOCK (self);
  if (self->target_ghost != NULL) {
    GST_OBJECT_UNLOCK (self);
    GST_WARNING_OBJECT (self, "there is a target pad already");
    return NULL;
  }
  GST_OBJECT_UNLOCK (self);

  target = gst_element_request_pad_simple (GST_ELEMENT (self->agg), "target");
  if (target == NULL)
    return NULL;
  ghost = gst_ghost_pad_new_from_template ("target", target, templ);
  gst_object_unref (target);
  GST_OBJECT_LOCK (self);
  self->target_ghost = ghost;
  GST_OBJECT_UNLOCK (self);
  if (GST_STATE (self) >= GST_STATE_PAUSED)
    gst_pad_set_active (ghost, TRUE);
  gst_element_add_pad (element, ghost);
  return ghost;
}

static void
gst_lstm_train_release_pad (GstElement *element, GstPad *pad)
{
  GstLstmTrain *self = GST_LSTM_TRAIN (element);
  GstPad *target;

  GST_OBJECT_LOCK (self);
  if (pad != self->target_ghost) {
    GST_OBJECT_UNLOCK (self);
    return;
  }
  self->target_ghost = NULL;
  GST_OBJECT_UNLOCK (self);
  target = gst_ghost_pad_get_target (GST_GHOST_PAD (pad));
  gst_element_remove_pad (element, pad);
  if (target != NULL) {
    gst_element_release_request_pad (GST_ELEMENT (self->agg), target);
    gst_object_unref (target);
  }
}

