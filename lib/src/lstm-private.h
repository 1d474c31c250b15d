/* liblstm: private declarations shared by the library's sources and tests
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "config.h"

#include <lstm/lstm.h>
#include "kernels/kernels.h"

G_BEGIN_DECLS

/* Largest accepted layer width or input size, and stack depth. Keeps every
 * size product far from overflow and refuses absurd files before any
 * allocation is attempted. */
#define LSTM_MAX_SIZE (1u << 20)
#define LSTM_MAX_NUM_LAYERS 64u
/* Largest lag of a lag layer, and most lags in one. */
#define LSTM_MAX_LAG 4096u
#define LSTM_MAX_N_LAGS 1024u
/* Largest model, in parameters (16 GiB of float32). */
#define LSTM_MAX_PARAMS (G_GUINT64_CONSTANT (1) << 32)
/* Frames processed per block by lstm_model_forward(); the state's workspace
 * is sized for one block, so forward never allocates. */
#define LSTM_BLOCK_FRAMES 64u
/* Alignment of every parameter tensor and workspace buffer, in floats. */
#define LSTM_ALIGN_FLOATS 16u

/* Gate order, stated once for the whole library (PyTorch's):
 *   LSTM rows of weight_ih/weight_hh/bias_*:  i, f, g, o  (4H rows)
 *   LSTM peepholes weight_ch:                 i, f, o     (3H; ONNX's P is i, o, f)
 *   GRU rows:                                 r, z, n     (3H rows) */
enum { LSTM_GATE_I, LSTM_GATE_F, LSTM_GATE_G, LSTM_GATE_O, LSTM_N_GATES_LSTM };
enum { LSTM_PEEP_I, LSTM_PEEP_F, LSTM_PEEP_O };
enum { LSTM_GATE_R, LSTM_GATE_Z, LSTM_GATE_N, LSTM_N_GATES_GRU };

/* Views into the model's flat parameter buffer for one direction of one
 * stacked sub-layer of a recurrent layer. */
typedef struct {
  float *w_ih;          /* (G*H, in) row-major */
  float *w_hh;          /* (G*H, H) row-major */
  float *b_ih;          /* (G*H) or NULL without bias */
  float *b_hh;          /* (G*H) or NULL without bias */
  float *w_ch;          /* (3H) peepholes i, f, o, or NULL */
  guint in;             /* input width of this sub-layer */
  /* w_ih, w_hh packed for the vector kernels (inference only; data NULL
   * until lstm_model_ensure_packed()) */
  LstmPackedMatrix pk_ih, pk_hh;
  /* the same in bf16 (lstm_model_ensure_packed_bf16()) */
  LstmPackedMatrix pk16_ih, pk16_hh;
} LstmRnnParams;

typedef struct {
  LstmLayerType type;
  gchar *name;
  guint input_size;
  guint output_size;
  guint hidden_size;
  guint num_layers;
  guint num_dirs;
  gboolean peephole;
  gboolean bias;
  gboolean reset_after; /* GRU: TRUE (PyTorch) r * (W_hn h + b_hn); FALSE
                         * (Keras reset_after=False, ONNX
                         * linear_before_reset=0) W_hn (r * h) + b_hn */
  LstmActivation activation;
  /* recurrent layers: num_layers * num_dirs entries, index l * num_dirs + d */
  LstmRnnParams *rnn;
  /* linear layers */
  float *weight;        /* (out, in) row-major */
  float *bias_v;        /* (out) or NULL */
  LstmPackedMatrix pk_weight;   /* weight, packed (see LstmRnnParams) */
  LstmPackedMatrix pk16_weight; /* weight, packed in bf16 */
  gint skip;            /* index of the layer whose output is appended to
                         * the previous one's as input ("skip"), or -1 */
  /* lag layers: output k * input_size + j is input j, lags[k] frames ago;
   * the state holds a "started" flag then the last max_lag frames, newest
   * first */
  guint *lags;
  guint n_lags;
  guint max_lag;
  /* offset of this layer's state (recurrent: h then c; lag: the flag and
   * past frames) in LstmState's value array */
  gsize state_offset;
} LstmLayer;

/* A named view of the parameter buffer, in PyTorch state_dict naming. */
typedef struct {
  gchar *name;
  guint n_dims;
  guint64 shape[2];
  gsize offset;         /* in floats, from LstmModel.params */
  gsize size;           /* in floats */
} LstmParamTensor;

struct _LstmModel {
  gint ref_count;
  gchar *name;          /* file name for messages */
  guint n_layers;
  LstmLayer *layers;
  guint input_size;
  guint output_size;
  /* All trainable parameters in one aligned buffer, in the order of
   * @tensors; gradients and optimizer moments use the same layout. */
  float *params;
  gsize n_params;
  LstmParamTensor *tensors;
  guint n_tensors;
  float *input_mean;    /* (input_size) or NULL */
  float *input_std;     /* (input_size) or NULL */
  guint *residual;      /* (output_size) input index added to each output
                         * (lstm.residual), or NULL */
  LstmTask task;
  gchar **labels;       /* NULL-terminated, output_size entries, or NULL */
  gchar *features;      /* JSON object text, or NULL */
  GHashTable *metadata; /* every metadata string, lstm.* keys included */
  gsize state_size;     /* floats of h (and c) over all recurrent layers */
  guint max_width;      /* widest per-frame activation between layers */
  guint max_gates;      /* widest gate vector (G*H) of any sub-layer */
  gboolean streamable;  /* no bidirectional layer */
  gchar *cache_key;     /* file identity when shared (model-cache.c) */
  /* Inference's packed copies of the weight matrices (the pk_* views),
   * made on first use; code that changes params calls
   * lstm_model_invalidate_packed(). */
  float *packed;
  gint packed_ready;    /* atomic */
  GMutex pack_lock;
  /* The bf16 copies (the pk16_* views), made on first use by a bf16 state;
   * same lock, dropped with the fp32 ones. */
  guint16 *packed_bf16;
  gint packed_bf16_ready;       /* atomic */
};

struct _LstmState {
  LstmModel *model;
  const LstmKernels *kernels;
  LstmPrecision precision;
  float *values;        /* model->state_size floats: per layer, l, d: h then c */
  float *workspace;     /* one allocation for the buffers below */
  float *act[2];        /* (BLOCK, max_width) ping-pong activations */
  float *lag;           /* (BLOCK, max_width) the lag layer's output */
  float *cat;           /* (BLOCK, max_width) a skip layer's input */
  float *gx;            /* (BLOCK, max_gates) input projections / gates */
  float *gh;            /* (max_gates) recurrent projections */
  gboolean nonfinite_tail;  /* the last frame lstm_model_forward_checked()
                             * saw was not finite: a burst goes on */
};

/* Packs the weights for the vector kernels once (thread-safe; allocates
 * only the first time after a change). FALSE when out of memory: the
 * forward then runs on the unpacked weights. */
/* One weight matrix (@w: @n_out x @k) and its fp32 and bf16 packed views. */
typedef void (*LstmMatrixFunc) (const float *w, guint n_out, guint k,
    LstmPackedMatrix *pk, LstmPackedMatrix *pk16, gpointer data);
void lstm_model_foreach_matrix (LstmModel *model, LstmMatrixFunc f,
    gpointer data);
gboolean lstm_model_ensure_packed (LstmModel *model);
/* The same for the bf16 copies (the pk16_* views). */
gboolean lstm_model_ensure_packed_bf16 (LstmModel *model);
/* Drops the packed copies: to be called whenever model->params change. */
void lstm_model_invalidate_packed (LstmModel *model);

/* Aligned float buffers (posix_memalign; free with lstm_aligned_free). */
float *lstm_aligned_alloc (gsize n_floats);
float *lstm_aligned_try_alloc0 (gsize n_floats);
void lstm_aligned_free (float *p);

/* json-writer.c: the one JSON writer (compact; one number format). */
typedef struct _LstmJsonWriter LstmJsonWriter;
LstmJsonWriter *lstm_json_writer_new (void);
gchar *lstm_json_writer_finish (LstmJsonWriter *w);
void lstm_json_append_string (GString *s, const gchar *v);
void lstm_json_format_double (double v, gchar *buf);
void lstm_json_begin_object (LstmJsonWriter *w, const gchar *key);
void lstm_json_end_object (LstmJsonWriter *w);
void lstm_json_begin_array (LstmJsonWriter *w, const gchar *key);
void lstm_json_end_array (LstmJsonWriter *w);
void lstm_json_add_string (LstmJsonWriter *w, const gchar *key,
    const gchar *v);
void lstm_json_add_int (LstmJsonWriter *w, const gchar *key, gint64 v);
void lstm_json_add_bool (LstmJsonWriter *w, const gchar *key, gboolean v);
void lstm_json_add_double (LstmJsonWriter *w, const gchar *key, double v);
void lstm_json_add_raw (LstmJsonWriter *w, const gchar *key,
    const gchar *json);
struct _JsonNode;
void lstm_json_add_node (LstmJsonWriter *w, const gchar *key,
    struct _JsonNode *node);

/* model.c */
LstmModel *lstm_model_new_from_architecture (const gchar *architecture,
    const gchar *name, GError **error);
gboolean lstm_model_set_metadata_from_table (LstmModel *model,
    GHashTable *metadata, GError **error);
LstmModel *lstm_model_copy (LstmModel *model);
void lstm_model_cache_forget (LstmModel *model);
/* Frees a model whatever its reference count (its last unref, or a
 * model that failed to build). */
void lstm_model_destroy (LstmModel *model);
/* Allocates the parameter storage, then points each layer's tensors into
 * it; lstm_model_point_params() alone re-points a copy's. */
gboolean lstm_model_alloc_params (LstmModel *model, GError **error);
void lstm_model_point_params (LstmModel *model);
guint lstm_model_find_tensor (LstmModel *model, const gchar *name);
gsize lstm_layer_state_floats (const LstmLayer *layer);
/* The model's input normalisation, (x - input.mean) / input.std per value,
 * of @n_frames frames from @in into @out; FALSE (nothing written) when the
 * model stores neither. Inference and training both call it. */
gboolean lstm_model_normalize_input (const LstmModel *model, const float *in,
    gsize n_frames, float *out);

/* forward.c: run layers over a block of frames. */
void lstm_layer_run_block (const LstmLayer *layer, const LstmKernels *k,
    const float *x, gsize n_frames, float *y, float *state_hc, float *gx,
    float *gh);
/* layer-lag.c: a lag layer over T frames. x: (T, input_size); y: (T,
 * output_size); state: the layer's (1 + max_lag * input_size) floats, in
 * and out. Before the first frame of a stream (flag 0) every past frame
 * is taken to equal the first. */
void lstm_lag_layer_forward (const LstmLayer *L, const float *x, gsize T,
    float *y, float *state);
/* The input of skip layer @L ((T, L->input_size)) from the previous
 * layer's output @prev ((T, prev_w)) and the skip source's @skip
 * ((T, L->input_size - prev_w)). */
void lstm_skip_concat (const LstmLayer *L, const float *prev, guint prev_w,
    const float *skip, gsize T, float *cat);

/* safetensors.c */
typedef enum {
  LSTM_DTYPE_F32,
  LSTM_DTYPE_F16,
  LSTM_DTYPE_BF16,
  LSTM_DTYPE_F64,
  LSTM_DTYPE_I64,
  LSTM_DTYPE_I32,
  LSTM_DTYPE_I16,
  LSTM_DTYPE_I8,
  LSTM_DTYPE_U64,
  LSTM_DTYPE_U32,
  LSTM_DTYPE_U16,
  LSTM_DTYPE_U8,
  LSTM_DTYPE_BOOL,
  LSTM_DTYPE_F8_E4M3,
  LSTM_DTYPE_F8_E5M2,
} LstmDtype;

#define LSTM_ST_MAX_DIMS 8u
#define LSTM_ST_MAX_HEADER (100u * 1024u * 1024u)

typedef struct {
  gchar *name;
  LstmDtype dtype;
  guint n_dims;
  guint64 shape[LSTM_ST_MAX_DIMS];
  guint64 n_elements;
  guint64 begin;        /* offsets in the data section */
  guint64 end;
  const guint8 *data;
} LstmStTensor;

typedef struct {
  gchar *name;          /* for messages */
  GBytes *bytes;
  GHashTable *tensors;  /* name -> LstmStTensor* */
  GHashTable *metadata; /* string -> string */
} LstmStFile;

LstmStFile *lstm_st_file_parse (GBytes *bytes, const gchar *name,
    GError **error);
void lstm_st_file_free (LstmStFile *file);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (LstmStFile, lstm_st_file_free)
const gchar *lstm_dtype_to_string (LstmDtype dtype);
gboolean lstm_st_tensor_read_f32 (const LstmStFile *file,
    const LstmStTensor *tensor, float *dst, GError **error);

typedef struct {
  const gchar *name;
  LstmDtype dtype;      /* F32, I64 or U8 */
  const void *data;
  guint n_dims;
  guint64 shape[LSTM_ST_MAX_DIMS];
} LstmStWriteTensor;

/* Every JSON text from a file goes through this instead of
 * json_parser_load_from_data(): json-glib's parser recurses once per
 * nesting level, so a hostile file of 100000 '[' would overflow the stack.
 * Texts nested deeper than LSTM_JSON_MAX_DEPTH fail with a
 * JSON_PARSER_ERROR before json-glib sees them. */
#define LSTM_JSON_MAX_DEPTH 64u
struct _JsonParser;
gboolean lstm_json_parser_load (struct _JsonParser *parser,
    const gchar *text, gssize length, GError **error);

GBytes *lstm_st_serialize (const LstmStWriteTensor *tensors, guint n_tensors,
    GHashTable *metadata);
gboolean lstm_write_file_atomic (const gchar *path, GBytes *bytes,
    GError **error);
/* Maps @path read-only after checking its size against @max_size (0: the
 * default, lstm_get_max_model_size()) on the open file, before any byte is
 * read. */
GBytes *lstm_map_file (const gchar *path, guint64 max_size, GError **error);

G_END_DECLS

G_BEGIN_DECLS

/* rng.c: xoshiro256** seeded through splitmix64; four words of state, so a
 * checkpoint can store and restore it exactly. */
typedef struct {
  guint64 s[4];
} LstmRng;

void lstm_rng_seed (LstmRng *rng, guint64 seed);
guint64 lstm_rng_next (LstmRng *rng);
/* Uniform double in [0, 1) with 53 random bits. */
double lstm_rng_uniform (LstmRng *rng);
/* Uniform integer in [0, n), n > 0, without modulo bias. */
guint64 lstm_rng_below (LstmRng *rng, guint64 n);

G_END_DECLS

/* ---- training (tape.c, loss.c, optim.c, trainer.c) ---- */

G_BEGIN_DECLS

/* tape.c: the layer stack run over one window of one sequence, keeping
 * every cache that the backward pass needs. */
typedef struct _LstmTape LstmTape;

/* A tape for windows of up to @max_frames frames. @model's parameters are
 * read at each call (the trainer updates them in place). */
LstmTape *lstm_tape_new (LstmModel *model, const LstmKernels *k,
    gsize max_frames);
void lstm_tape_free (LstmTape *tape);
/* Runs the model over @T frames of @in ((T, input_size)) from the state
 * @hc (state_size floats, LstmState's layout), which is updated. Returns
 * the outputs, (T, output_size), bitwise equal to lstm_model_forward()'s
 * (for a residual model: before the residual is added). */
const float *lstm_tape_forward (LstmTape *tape, const float *in, gsize T,
    float *hc);
/* The last forward's frames as given (before the input normalisation),
 * (T, input_size). The tape's outputs are the head's: for a residual model
 * (model->residual) the caller adds in[t, residual[j]] to output j, as
 * lstm_model_forward() does. */
const float *lstm_tape_raw_input (LstmTape *tape);
/* The last layer's pre-activation (T, output_size) when it is a linear
 * layer, else the outputs. */
const float *lstm_tape_logits (LstmTape *tape);
/* Backward over the last forward's frames: @dout (T, output_size) is the
 * gradient with respect to the outputs, or with respect to the logits when
 * @wrt_logits. Accumulates into @grads (n_params floats, the layout of
 * model->params). Nothing flows into the state before the window
 * (truncated BPTT). */
void lstm_tape_backward (LstmTape *tape, const float *dout,
    gboolean wrt_logits, float *grads);

/* loss.c: losses over the frames of one sequence. Each returns the loss
 * summed over what counts (frames whose mask is non-zero, or whose class is
 * not LSTM_TARGET_IGNORE), in double, and writes into @d (same shape as
 * the scores) the gradient of (loss * @scale); what does not count gets a
 * zero gradient. @mask: (T) or NULL (all count). */
double lstm_loss_mse (const float *y, const float *target,
    const guint8 *mask, gsize T, guint n, float scale, float *d);
double lstm_loss_mae (const float *y, const float *target,
    const guint8 *mask, gsize T, guint n, float scale, float *d);
/* Softmax cross-entropy on logits z (T, n); @classes: (T). Counts the
 * frames whose argmax is the class into @n_correct. */
double lstm_loss_cross_entropy (const float *z, const guint *classes,
    gsize T, guint n, float scale, float *d, guint64 *n_correct);
/* Softmax cross-entropy of the mean over T frames of softmax(z) against
 * class @c: one target for the whole clip. */
double lstm_loss_mean_cross_entropy (const float *z, guint c, gsize T,
    guint n, float scale, float *d, guint64 *n_correct);
/* Binary cross-entropy on logits z (T, n) (sigmoid outputs); targets in
 * [0, 1]. */
double lstm_loss_binary_cross_entropy (const float *z, const float *target,
    const guint8 *mask, gsize T, guint n, float scale, float *d);

/* optim.c: one loop each over the flat buffers (params, grads and moments
 * share the layout of model->params). */
void lstm_optim_adam_step (float *params, const float *grads, float *m,
    float *v, gsize n, guint64 step, double lr, double beta1, double beta2,
    double eps, double weight_decay);
void lstm_optim_sgd_step (float *params, const float *grads, float *buf,
    gsize n, guint64 step, double lr, double momentum, double dampening,
    gboolean nesterov, double weight_decay);
/* Euclidean norm of @g, accumulated in double (inf or nan when a value is
 * not finite). */
double lstm_grad_norm (const float *g, gsize n);
/* torch.nn.utils.clip_grad_norm_: scales @g by max_norm / (norm + 1e-6)
 * when that is below 1. Returns the norm before clipping. */
double lstm_clip_grad_norm (float *g, gsize n, double max_norm);

G_END_DECLS
