/* Unit tests: hostile model files.
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Each case starts from a valid model file (written by liblstm), edits its
 * JSON header, data or raw bytes, and asserts the exact LSTM_ERROR code and
 * a key phrase of the message, which must also name the file. Where malloc
 * can be counted (not under AddressSanitizer), no single allocation may
 * exceed 1 MiB plus four times the file's size, however large the sizes
 * the file claims. A seeded
 * mutation fuzzer then checks that thousands of damaged files never crash
 * the loader and always fail with a GError.
 */
#include "config.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include <json-glib/json-glib.h>
#include <lstm/lstm.h>

#include "alloc-counter.h"

/* LSTM 2 -> 3 plus a 2-way softmax head, labels, input normalisation. */
#define BASE_ARCH \
  "[{\"type\":\"lstm\",\"name\":\"rnn\",\"input_size\":2,\"hidden_size\":3}," \
  "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2," \
  "\"activation\":\"softmax\"}]"
/* No hostile file may make the loader allocate more than this at once,
 * plus four times the file's size (the JSON parser copies strings). */
#define MAX_ALLOCATION (1024 * 1024)

typedef struct {
  JsonParser *parser;
  JsonObject *header;           /* the parsed JSON header, editable */
  GByteArray *data;             /* the data section */
  gchar *raw_header;            /* if set, written instead of @header */
  gsize raw_len;
} Doc;

typedef struct {
  const gchar *name;
  void (*edit) (Doc *d);        /* header and data edits */
  void (*edit_bytes) (GByteArray *file, gsize header_len);
  gint code;                    /* -1: the file must load */
  const gchar *needle;
} Case;

static GBytes *
base_bytes (void)
{
  static const gchar *labels[] = { "yes", "no", NULL };
  static const float mean[2] = { 0.5f, -1.0f }, std[2] = { 2.0f, 4.0f };
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL;
  LstmModelOptions opts = { 0 };

  opts.seed = 3;
  opts.labels = labels;
  opts.input_mean = mean;
  opts.input_std = std;
  opts.features = "{\"kind\":\"fbank\"}";
  m = lstm_model_new (BASE_ARCH, &opts, &error);
  g_assert_no_error (error);
  return lstm_model_save_to_bytes (m, &error);
}

static guint64
read_le64 (const guint8 *p)
{
  guint64 v = 0;
  guint i;
  for (i = 0; i < 8; i++)
    v |= (guint64) p[i] << (8 * i);
  return v;
}

static void
write_le64 (guint8 *p, guint64 v)
{
  guint i;
  for (i = 0; i < 8; i++)
    p[i] = (guint8) (v >> (8 * i));
}

static Doc *
doc_new (void)
{
  g_autoptr (GBytes) bytes = base_bytes ();
  g_autoptr (GError) error = NULL;
  gsize size;
  const guint8 *b = g_bytes_get_data (bytes, &size);
  guint64 hl = read_le64 (b);
  Doc *d = g_new0 (Doc, 1);

  d->parser = json_parser_new ();
  json_parser_load_from_data (d->parser, (const gchar *) b + 8, (gssize) hl,
      &error);
  g_assert_no_error (error);
  d->header = json_node_get_object (json_parser_get_root (d->parser));
  d->data = g_byte_array_new ();
  g_byte_array_append (d->data, b + 8 + hl, (guint) (size - 8 - hl));
  return d;
}

static void
doc_free (Doc *d)
{
  g_object_unref (d->parser);
  g_byte_array_unref (d->data);
  g_free (d->raw_header);
  g_free (d);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Doc, doc_free)

/* The file: 8-byte length, header, data. */
static GByteArray *
doc_serialize (Doc *d, gsize *header_len)
{
  GByteArray *out = g_byte_array_new ();
  g_autofree gchar *text = NULL;
  gsize len;
  guint8 le[8];

  if (d->raw_header) {
    text = g_memdup2 (d->raw_header, d->raw_len);
    len = d->raw_len;
  } else {
    g_autoptr (JsonGenerator) gen = json_generator_new ();
    g_autoptr (JsonNode) root = json_node_new (JSON_NODE_OBJECT);
    json_node_set_object (root, d->header);
    json_generator_set_root (gen, root);
    text = json_generator_to_data (gen, &len);
  }
  write_le64 (le, len);
  g_byte_array_append (out, le, 8);
  g_byte_array_append (out, (const guint8 *) text, (guint) len);
  g_byte_array_append (out, d->data->data, d->data->len);
  *header_len = len;
  return out;
}

static JsonObject *
tensor (Doc *d, const gchar *name)
{
  g_assert_true (json_object_has_member (d->header, name));
  return json_object_get_object_member (d->header, name);
}

static gint64
tensor_begin (Doc *d, const gchar *name)
{
  return json_array_get_int_element (json_object_get_array_member (tensor (d,
              name), "data_offsets"), 0);
}

static gint64
tensor_end (Doc *d, const gchar *name)
{
  return json_array_get_int_element (json_object_get_array_member (tensor (d,
              name), "data_offsets"), 1);
}

static JsonArray *
int_array (guint n, const gint64 *v)
{
  JsonArray *a = json_array_new ();
  guint i;
  for (i = 0; i < n; i++)
    json_array_add_int_element (a, v[i]);
  return a;
}

static void
set_offsets (Doc *d, const gchar *name, gint64 begin, gint64 end)
{
  gint64 v[2] = { begin, end };
  json_object_set_array_member (tensor (d, name), "data_offsets",
      int_array (2, v));
}

static void
set_shape (Doc *d, const gchar *name, guint n, const gint64 *shape)
{
  json_object_set_array_member (tensor (d, name), "shape",
      int_array (n, shape));
}

static void
set_dtype (Doc *d, const gchar *name, const gchar *dtype)
{
  json_object_set_string_member (tensor (d, name), "dtype", dtype);
}

static JsonObject *
metadata (Doc *d)
{
  return json_object_get_object_member (d->header, "__metadata__");
}

static void
set_meta (Doc *d, const gchar *key, const gchar *value)
{
  if (value)
    json_object_set_string_member (metadata (d), key, value);
  else
    json_object_remove_member (metadata (d), key);
}

/* Appends a tensor whose data goes at the end of the data section. */
static void
append_tensor (Doc *d, const gchar *name, const gchar *dtype, guint n_dims,
    const gint64 *shape, gconstpointer bytes, gsize len)
{
  JsonObject *o = json_object_new ();
  gint64 off[2] = { d->data->len, (gint64) (d->data->len + len) };

  json_object_set_string_member (o, "dtype", dtype);
  json_object_set_array_member (o, "shape", int_array (n_dims, shape));
  json_object_set_array_member (o, "data_offsets", int_array (2, off));
  json_object_set_object_member (d->header, name, o);
  g_byte_array_append (d->data, bytes, (guint) len);
}

/* Moves tensor @name's bytes to the end with a new dtype and payload. */
static void
replace_tensor (Doc *d, const gchar *name, const gchar *dtype,
    gconstpointer bytes, gsize len)
{
  JsonObject *t = tensor (d, name);
  JsonArray *shape = json_array_ref (json_object_get_array_member (t,
          "shape"));
  gint64 dims[8];
  guint i, n = json_array_get_length (shape);

  for (i = 0; i < n; i++)
    dims[i] = json_array_get_int_element (shape, i);
  json_array_unref (shape);
  json_object_remove_member (d->header, name);
  append_tensor (d, name, dtype, n, dims, bytes, len);
}

static void
put_f32 (Doc *d, const gchar *name, guint index, float v)
{
  gint64 off = tensor_begin (d, name) + 4 * (gint64) index;
  guint32 bits;
  memcpy (&bits, &v, 4);
  bits = GUINT32_TO_LE (bits);
  memcpy (d->data->data + off, &bits, 4);
}

static void
set_raw_header (Doc *d, const gchar *text, gsize len)
{
  d->raw_header = g_memdup2 (text, len);
  d->raw_len = len;
}

/* ---- the cases ---- */

#define TRUNCATE_AT(fname, expr) \
  static void fname (GByteArray *f, gsize hl) \
  { \
    gsize cut = (expr); \
    (void) hl; \
    g_assert_cmpuint (cut, <, f->len); \
    g_byte_array_set_size (f, (guint) cut); \
  }

TRUNCATE_AT (cut_empty, 0)
TRUNCATE_AT (cut_7, 7)
TRUNCATE_AT (cut_8, 8)
TRUNCATE_AT (cut_mid_header, 8 + hl / 2)
TRUNCATE_AT (cut_header_end, 8 + hl - 1)
TRUNCATE_AT (cut_no_data, 8 + hl)
TRUNCATE_AT (cut_mid_data, 8 + hl + (f->len - 8 - hl) / 2)
TRUNCATE_AT (cut_last_byte, f->len - 1)

static void
hlen_past_end (GByteArray *f, gsize hl)
{
  (void) hl;
  write_le64 (f->data, f->len - 8 + 1);
}

static void
hlen_2_63 (GByteArray *f, gsize hl)
{
  (void) hl;
  write_le64 (f->data, G_GUINT64_CONSTANT (1) << 63);
}

static void
hlen_all_ones (GByteArray *f, gsize hl)
{
  (void) hl;
  write_le64 (f->data, G_MAXUINT64);
}

static void
hlen_zero (GByteArray *f, gsize hl)
{
  (void) hl;
  write_le64 (f->data, 0);
}

static void
hlen_short (GByteArray *f, gsize hl)
{
  write_le64 (f->data, hl / 2);
}

static void
raw_invalid_json (Doc *d)
{
  set_raw_header (d, "{\"rnn.weight_ih_l0\": {\"dtype\": \"F32\",, }", 40);
}

static void
raw_array (Doc *d)
{
  set_raw_header (d, "[1, 2, 3]", 9);
}

static void
raw_string (Doc *d)
{
  set_raw_header (d, "{} trailing", 11);
}

static void
raw_nul (Doc *d)
{
  set_raw_header (d, "{\"a\":\0\"b\"}", 10);
}

static void
raw_bad_utf8 (Doc *d)
{
  set_raw_header (d, "{\"\xff\xfe\":1}", 9);
}

/* 200000 nested arrays: json-glib's recursive parser must never see it. */
static void
raw_deep_nesting (Doc *d)
{
  GString *s = g_string_new ("{\"x\":");
  guint i;
  for (i = 0; i < 200000; i++)
    g_string_append_c (s, '[');
  for (i = 0; i < 200000; i++)
    g_string_append_c (s, ']');
  g_string_append_c (s, '}');
  d->raw_len = s->len;
  d->raw_header = g_string_free (s, FALSE);
}

static void
arch_deep_nesting (Doc *d)
{
  GString *s = g_string_new (NULL);
  guint i;
  for (i = 0; i < 200000; i++)
    g_string_append_c (s, '[');
  for (i = 0; i < 200000; i++)
    g_string_append_c (s, ']');
  set_meta (d, "lstm.architecture", s->str);
  g_string_free (s, TRUE);
}

static void
labels_deep_nesting (Doc *d)
{
  GString *s = g_string_new (NULL);
  guint i;
  for (i = 0; i < 100000; i++)
    g_string_append (s, "{\"a\":");
  g_string_append (s, "1");
  for (i = 0; i < 100000; i++)
    g_string_append_c (s, '}');
  set_meta (d, "lstm.labels", s->str);
  g_string_free (s, TRUE);
}

static void
tensor_not_object (Doc *d)
{
  json_object_set_int_member (d->header, "head.bias", 5);
}

static void
tensor_no_dtype (Doc *d)
{
  json_object_remove_member (tensor (d, "head.bias"), "dtype");
}

static void
tensor_null_dtype (Doc *d)
{
  json_object_set_null_member (tensor (d, "head.bias"), "dtype");
}

static void
tensor_shape_not_array (Doc *d)
{
  json_object_set_string_member (tensor (d, "head.bias"), "shape", "2");
}

static void
tensor_extra_member (Doc *d)
{
  json_object_set_int_member (tensor (d, "head.bias"), "stride", 1);
}

static void
shape_negative (Doc *d)
{
  gint64 s[2] = { -2, -3 };
  set_shape (d, "head.weight", 2, s);
}

static void
shape_float (Doc *d)
{
  JsonArray *a = json_array_new ();
  json_array_add_double_element (a, 2.0);
  json_object_set_array_member (tensor (d, "head.bias"), "shape", a);
}

static void
shape_nine_dims (Doc *d)
{
  gint64 s[9] = { 1, 1, 1, 1, 1, 1, 1, 1, 2 };
  set_shape (d, "head.bias", 9, s);
}

static void
shape_huge (Doc *d)
{
  gint64 s[2] = { G_MAXUINT32, G_MAXUINT32 };
  set_shape (d, "head.weight", 2, s);
}

static void
shape_above_u32 (Doc *d)
{
  gint64 s[1] = { G_GINT64_CONSTANT (1) << 40 };
  set_shape (d, "head.bias", 1, s);
}

static void
offsets_out_of_range (Doc *d)
{
  gint64 b = tensor_begin (d, "head.bias");
  set_offsets (d, "head.bias", b + (gint64) d->data->len,
      b + (gint64) d->data->len + 8);
}

static void
offsets_end_past_data (Doc *d)
{
  set_offsets (d, "head.bias", (gint64) d->data->len - 4,
      (gint64) d->data->len + 4);
}

static void
offsets_begin_after_end (Doc *d)
{
  gint64 b = tensor_begin (d, "head.bias"), e = tensor_end (d, "head.bias");
  set_offsets (d, "head.bias", e, b);
}

static void
offsets_negative (Doc *d)
{
  set_offsets (d, "head.bias", -8, 0);
}

static void
offsets_huge (Doc *d)
{
  set_offsets (d, "head.bias", G_MAXINT64 - 4, G_MAXINT64);
}

static void
offsets_three (Doc *d)
{
  gint64 v[3] = { 0, 8, 16 };
  json_object_set_array_member (tensor (d, "head.bias"), "data_offsets",
      int_array (3, v));
}

static void
overlap_same (Doc *d)
{
  /* head.bias (2 floats) pointed at the start of input.mean (2 floats) */
  set_offsets (d, "head.bias", tensor_begin (d, "input.mean"),
      tensor_end (d, "input.mean"));
}

static void
overlap_partial (Doc *d)
{
  gint64 b = tensor_begin (d, "input.mean");
  set_offsets (d, "head.bias", b + 4, b + 12);
}

/* An empty tensor sorted between two overlapping ones must not hide the
 * overlap. */
static void
overlap_across_empty (Doc *d)
{
  gint64 wb = tensor_begin (d, "rnn.weight_hh_l0"), zero[1] = { 0 };
  append_tensor (d, "optim.empty", "F32", 1, zero, NULL, 0);
  set_offsets (d, "optim.empty", wb + 8, wb + 8);
  set_offsets (d, "head.bias", wb + 16, wb + 24);
}

static void
span_mismatch (Doc *d)
{
  gint64 b = tensor_begin (d, "head.weight");
  set_offsets (d, "head.weight", b, b + 20);
}

static void
wrong_shape_2d (Doc *d)
{
  gint64 s[2] = { 2, 12 };
  set_shape (d, "rnn.weight_ih_l0", 2, s);
}

static void
wrong_shape_rank (Doc *d)
{
  gint64 s[2] = { 1, 2 };
  set_shape (d, "head.bias", 2, s);
}

static void
wrong_shape_input_mean (Doc *d)
{
  gint64 s[2] = { 2, 1 };
  set_shape (d, "input.mean", 2, s);
}

static void
missing_tensor (Doc *d)
{
  json_object_remove_member (d->header, "rnn.bias_hh_l0");
}

static void
extra_tensor (Doc *d)
{
  float v[2] = { 1, 2 };
  gint64 s[1] = { 2 };
  append_tensor (d, "head.extra", "F32", 1, s, v, sizeof v);
}

static void
extra_tensor_optim_no_dot (Doc *d)
{
  float v[2] = { 1, 2 };
  gint64 s[1] = { 2 };
  append_tensor (d, "optimizer.m", "F32", 1, s, v, sizeof v);
}

static void
optim_ignored (Doc *d)
{
  float v[4] = { 1, 2, NAN, INFINITY };
  gint64 step = 7, s[1] = { 4 }, one[1] = { 1 };
  append_tensor (d, "optim.m.head.bias", "F32", 1, s, v, sizeof v);
  append_tensor (d, "optim.step", "I64", 1, one, &step, sizeof step);
  set_meta (d, "lstm.checkpoint", "{\"step\":7}");
}

static void
dtype_unknown (Doc *d)
{
  set_dtype (d, "head.bias", "F128");
}

static void
dtype_f64 (Doc *d)
{
  double v[2] = { 0.5, -0.25 };
  replace_tensor (d, "head.bias", "F64", v, sizeof v);
}

static void
dtype_i64 (Doc *d)
{
  gint64 v[2] = { 1, 2 };
  replace_tensor (d, "head.bias", "I64", v, sizeof v);
}

static void
dtype_u8_mean (Doc *d)
{
  guint8 v[2] = { 1, 2 };
  replace_tensor (d, "input.mean", "U8", v, sizeof v);
}

static void
dtype_f16_ok (Doc *d)
{
  guint8 v[4] = { 0x00, 0x3e, 0x00, 0xc0 };     /* 1.5, -2.0 */
  replace_tensor (d, "head.bias", "F16", v, sizeof v);
}

static void
dtype_bf16_ok (Doc *d)
{
  guint8 v[4] = { 0xc0, 0x3f, 0x00, 0xc0 };     /* 1.5, -2.0 */
  replace_tensor (d, "head.bias", "BF16", v, sizeof v);
}

static void
dtype_f16_inf (Doc *d)
{
  guint8 v[4] = { 0x00, 0x3e, 0x00, 0x7c };     /* 1.5, +inf */
  replace_tensor (d, "head.bias", "F16", v, sizeof v);
}

static void
dtype_bf16_nan (Doc *d)
{
  guint8 v[4] = { 0xc0, 0x7f, 0x00, 0x00 };     /* NaN, 0 */
  replace_tensor (d, "head.bias", "BF16", v, sizeof v);
}

static void
weight_nan (Doc *d)
{
  put_f32 (d, "rnn.weight_hh_l0", 5, NAN);
}

static void
weight_inf (Doc *d)
{
  put_f32 (d, "head.weight", 1, -INFINITY);
}

static void
mean_inf (Doc *d)
{
  put_f32 (d, "input.mean", 1, INFINITY);
}

static void
std_zero (Doc *d)
{
  put_f32 (d, "input.std", 1, 0.0f);
}

static void
arch_missing (Doc *d)
{
  set_meta (d, "lstm.architecture", NULL);
}

static void
arch_not_json (Doc *d)
{
  set_meta (d, "lstm.architecture", "[{\"type\":");
}

static void
arch_object (Doc *d)
{
  set_meta (d, "lstm.architecture", "{\"type\":\"lstm\"}");
}

static void
arch_unknown_type (Doc *d)
{
  set_meta (d, "lstm.architecture", "[{\"type\":\"transformer\","
      "\"name\":\"rnn\",\"input_size\":2,\"hidden_size\":3}]");
}

static void
arch_type_null (Doc *d)
{
  set_meta (d, "lstm.architecture", "[{\"type\":null,\"name\":\"rnn\"}]");
}

static void
arch_hidden_2_40 (Doc *d)
{
  set_meta (d, "lstm.architecture", "[{\"type\":\"lstm\",\"name\":\"rnn\","
      "\"input_size\":2,\"hidden_size\":1099511627776}]");
}

static void
arch_hidden_2_31 (Doc *d)
{
  set_meta (d, "lstm.architecture", "[{\"type\":\"gru\",\"name\":\"rnn\","
      "\"input_size\":2,\"hidden_size\":2147483648}]");
}

/* Sizes within the limits but far beyond the file: refused on the tensor
 * shapes, before anything is allocated for them. */
static void
arch_hidden_20000 (Doc *d)
{
  set_meta (d, "lstm.architecture", "[{\"type\":\"lstm\",\"name\":\"rnn\","
      "\"input_size\":2,\"hidden_size\":20000},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":2,\"activation\":\"softmax\"}]");
}

static void
arch_huge_linear (Doc *d)
{
  set_meta (d, "lstm.architecture", "[{\"type\":\"lstm\",\"name\":\"rnn\","
      "\"input_size\":2,\"hidden_size\":3},{\"type\":\"linear\","
      "\"name\":\"head\",\"out_features\":1048576}]");
}

static void
arch_too_many_params (Doc *d)
{
  set_meta (d, "lstm.architecture", "[{\"type\":\"lstm\",\"name\":\"rnn\","
      "\"input_size\":1048576,\"hidden_size\":1048576,\"num_layers\":64}]");
}

static void
arch_many_layers (Doc *d)
{
  GString *s = g_string_new ("[");
  guint i;
  for (i = 0; i < 5000; i++)
    g_string_append_printf (s, "%s{\"type\":\"linear\",\"name\":\"l%u\","
        "\"in_features\":2,\"out_features\":2}", i ? "," : "", i);
  g_string_append_c (s, ']');
  set_meta (d, "lstm.architecture", s->str);
  g_string_free (s, TRUE);
}

static void
arch_proj_size (Doc *d)
{
  set_meta (d, "lstm.architecture", "[{\"type\":\"lstm\",\"name\":\"rnn\","
      "\"input_size\":2,\"hidden_size\":3,\"proj_size\":2},"
      "{\"type\":\"linear\",\"name\":\"head\",\"out_features\":2}]");
}

static void
arch_hidden_string (Doc *d)
{
  set_meta (d, "lstm.architecture", "[{\"type\":\"lstm\",\"name\":\"rnn\","
      "\"input_size\":2,\"hidden_size\":\"3\"}]");
}

static void
meta_not_object (Doc *d)
{
  json_object_set_array_member (d->header, "__metadata__", json_array_new ());
}

static void
meta_value_number (Doc *d)
{
  json_object_set_int_member (metadata (d), "lstm.description", 5);
}

static void
meta_value_object (Doc *d)
{
  json_object_set_object_member (metadata (d), "lstm.features",
      json_object_new ());
}

static void
format_2 (Doc *d)
{
  set_meta (d, "lstm.format", "2");
}

static void
task_unknown (Doc *d)
{
  set_meta (d, "lstm.task", "dancing");
}

static void
labels_not_list (Doc *d)
{
  set_meta (d, "lstm.labels", "\"yes,no\"");
}

static void
labels_not_strings (Doc *d)
{
  set_meta (d, "lstm.labels", "[1, 2]");
}

static void
labels_count (Doc *d)
{
  set_meta (d, "lstm.labels", "[\"yes\",\"no\",\"maybe\"]");
}

static void
features_not_object (Doc *d)
{
  set_meta (d, "lstm.features", "[\"fbank\"]");
}

static const Case cases[] = {
  { "valid", NULL, NULL, -1, NULL },
  /* truncation at several points */
  { "truncated-empty", NULL, cut_empty, LSTM_ERROR_FORMAT, "too short" },
  { "truncated-7", NULL, cut_7, LSTM_ERROR_FORMAT, "too short" },
  { "truncated-8", NULL, cut_8, LSTM_ERROR_FORMAT, "runs past the end" },
  { "truncated-mid-header", NULL, cut_mid_header, LSTM_ERROR_FORMAT,
      "runs past the end" },
  { "truncated-header-end", NULL, cut_header_end, LSTM_ERROR_FORMAT,
      "runs past the end" },
  { "truncated-no-data", NULL, cut_no_data, LSTM_ERROR_FORMAT,
      "data section" },
  { "truncated-mid-data", NULL, cut_mid_data, LSTM_ERROR_FORMAT,
      "data section" },
  { "truncated-last-byte", NULL, cut_last_byte, LSTM_ERROR_FORMAT,
      "out of range" },
  /* header length */
  { "header-len-past-end", NULL, hlen_past_end, LSTM_ERROR_FORMAT,
      "runs past the end" },
  { "header-len-2^63", NULL, hlen_2_63, LSTM_ERROR_FORMAT,
      "header length 9223372036854775808 runs past the end" },
  { "header-len-2^64-1", NULL, hlen_all_ones, LSTM_ERROR_FORMAT,
      "runs past the end" },
  { "header-len-zero", NULL, hlen_zero, LSTM_ERROR_FORMAT,
      "header length 0 is out of range" },
  { "header-len-short", NULL, hlen_short, LSTM_ERROR_FORMAT,
      "not valid JSON" },
  /* the JSON header */
  { "header-invalid-json", raw_invalid_json, NULL, LSTM_ERROR_FORMAT,
      "not valid JSON" },
  { "header-array", raw_array, NULL, LSTM_ERROR_FORMAT,
      "does not start with '{'" },
  { "header-trailing-text", raw_string, NULL, LSTM_ERROR_FORMAT,
      "not valid JSON" },
  { "header-nul", raw_nul, NULL, LSTM_ERROR_FORMAT, "not valid UTF-8" },
  { "header-bad-utf8", raw_bad_utf8, NULL, LSTM_ERROR_FORMAT,
      "not valid UTF-8" },
  { "header-deep-nesting", raw_deep_nesting, NULL, LSTM_ERROR_FORMAT,
      "nested" },
  { "tensor-not-object", tensor_not_object, NULL, LSTM_ERROR_FORMAT,
      "tensor 'head.bias' is not a JSON object" },
  { "tensor-no-dtype", tensor_no_dtype, NULL, LSTM_ERROR_FORMAT,
      "needs a string 'dtype'" },
  { "tensor-null-dtype", tensor_null_dtype, NULL, LSTM_ERROR_FORMAT,
      "needs a string 'dtype'" },
  { "tensor-shape-not-array", tensor_shape_not_array, NULL,
      LSTM_ERROR_FORMAT, "arrays 'shape' and 'data_offsets'" },
  { "tensor-extra-member", tensor_extra_member, NULL, LSTM_ERROR_FORMAT,
      "members other than" },
  { "shape-negative", shape_negative, NULL, LSTM_ERROR_FORMAT,
      "shape entry 0 is not an integer" },
  { "shape-float", shape_float, NULL, LSTM_ERROR_FORMAT,
      "shape entry 0 is not an integer" },
  { "shape-9-dims", shape_nine_dims, NULL, LSTM_ERROR_FORMAT,
      "9 dimensions" },
  { "shape-huge", shape_huge, NULL, LSTM_ERROR_FORMAT,
      "larger than the file's data section" },
  { "shape-above-u32", shape_above_u32, NULL, LSTM_ERROR_FORMAT,
      "shape entry 0 is not an integer" },
  /* data offsets */
  { "offsets-out-of-range", offsets_out_of_range, NULL, LSTM_ERROR_FORMAT,
      "out of range" },
  { "offsets-end-past-data", offsets_end_past_data, NULL, LSTM_ERROR_FORMAT,
      "out of range" },
  { "offsets-begin-after-end", offsets_begin_after_end, NULL,
      LSTM_ERROR_FORMAT, "out of range" },
  { "offsets-negative", offsets_negative, NULL, LSTM_ERROR_FORMAT,
      "two non-negative integers" },
  { "offsets-huge", offsets_huge, NULL, LSTM_ERROR_FORMAT, "out of range" },
  { "offsets-three", offsets_three, NULL, LSTM_ERROR_FORMAT,
      "two non-negative integers" },
  { "overlap-same", overlap_same, NULL, LSTM_ERROR_FORMAT, "overlap" },
  { "overlap-partial", overlap_partial, NULL, LSTM_ERROR_FORMAT, "overlap" },
  { "overlap-across-empty", overlap_across_empty, NULL, LSTM_ERROR_FORMAT,
      "overlap" },
  { "size-not-shape-times-dtype", span_mismatch, NULL, LSTM_ERROR_FORMAT,
      "span 20 bytes but its shape and dtype need 24" },
  /* tensors against the architecture */
  { "wrong-shape", wrong_shape_2d, NULL, LSTM_ERROR_SHAPE,
      "tensor 'rnn.weight_ih_l0' is 2x12, expected 12x2" },
  { "wrong-rank", wrong_shape_rank, NULL, LSTM_ERROR_SHAPE,
      "tensor 'head.bias' is 1x2, expected 2" },
  { "wrong-shape-input-mean", wrong_shape_input_mean, NULL, LSTM_ERROR_SHAPE,
      "tensor 'input.mean' is 2x1, expected 2" },
  { "missing-tensor", missing_tensor, NULL, LSTM_ERROR_SHAPE,
      "tensor 'rnn.bias_hh_l0' is missing" },
  { "extra-tensor", extra_tensor, NULL, LSTM_ERROR_SHAPE,
      "unexpected tensor 'head.extra'" },
  { "extra-tensor-optimizer", extra_tensor_optim_no_dot, NULL,
      LSTM_ERROR_SHAPE, "unexpected tensor 'optimizer.m'" },
  { "optim-tensors-ignored", optim_ignored, NULL, -1, NULL },
  /* dtypes and values */
  { "dtype-unknown", dtype_unknown, NULL, LSTM_ERROR_FORMAT,
      "unknown dtype 'F128'" },
  { "dtype-f64", dtype_f64, NULL, LSTM_ERROR_UNSUPPORTED,
      "'head.bias' has dtype F64; only F32, F16 and BF16" },
  { "dtype-i64", dtype_i64, NULL, LSTM_ERROR_UNSUPPORTED,
      "'head.bias' has dtype I64" },
  { "dtype-u8-input-mean", dtype_u8_mean, NULL, LSTM_ERROR_UNSUPPORTED,
      "'input.mean' has dtype U8" },
  { "dtype-f16", dtype_f16_ok, NULL, -1, NULL },
  { "dtype-bf16", dtype_bf16_ok, NULL, -1, NULL },
  { "dtype-f16-inf", dtype_f16_inf, NULL, LSTM_ERROR_FORMAT,
      "'head.bias' holds a non-finite value (inf) at index 1" },
  { "dtype-bf16-nan", dtype_bf16_nan, NULL, LSTM_ERROR_FORMAT,
      "'head.bias' holds a non-finite value (nan) at index 0" },
  { "weight-nan", weight_nan, NULL, LSTM_ERROR_FORMAT,
      "'rnn.weight_hh_l0' holds a non-finite value (nan) at index 5" },
  { "weight-inf", weight_inf, NULL, LSTM_ERROR_FORMAT,
      "'head.weight' holds a non-finite value (-inf) at index 1" },
  { "input-mean-inf", mean_inf, NULL, LSTM_ERROR_FORMAT,
      "'input.mean' holds a non-finite value" },
  { "input-std-zero", std_zero, NULL, LSTM_ERROR_FORMAT,
      "'input.std' is zero at index 1" },
  /* the architecture */
  { "arch-missing", arch_missing, NULL, LSTM_ERROR_FORMAT,
      "no lstm.architecture" },
  { "arch-not-json", arch_not_json, NULL, LSTM_ERROR_FORMAT,
      "lstm.architecture is not valid JSON" },
  { "arch-object", arch_object, NULL, LSTM_ERROR_FORMAT,
      "non-empty JSON list" },
  { "arch-deep-nesting", arch_deep_nesting, NULL, LSTM_ERROR_FORMAT,
      "nested" },
  { "arch-unknown-layer-type", arch_unknown_type, NULL,
      LSTM_ERROR_UNSUPPORTED, "unknown layer type 'transformer'" },
  { "arch-type-null", arch_type_null, NULL, LSTM_ERROR_FORMAT,
      "'type' (a string) is required" },
  { "arch-hidden-2^40", arch_hidden_2_40, NULL, LSTM_ERROR_ARGUMENT,
      "'hidden_size' is 1099511627776, out of range" },
  { "arch-hidden-2^31", arch_hidden_2_31, NULL, LSTM_ERROR_ARGUMENT,
      "'hidden_size' is 2147483648, out of range" },
  { "arch-hidden-20000", arch_hidden_20000, NULL, LSTM_ERROR_SHAPE,
      "tensor 'rnn.weight_ih_l0' is 12x2, expected 80000x2" },
  { "arch-huge-linear", arch_huge_linear, NULL, LSTM_ERROR_SHAPE,
      "tensor 'head.weight' is 2x3, expected 1048576x3" },
  { "arch-too-many-params", arch_too_many_params, NULL, LSTM_ERROR_ARGUMENT,
      "larger than" },
  { "arch-5000-layers", arch_many_layers, NULL, LSTM_ERROR_ARGUMENT,
      "5000 layers" },
  { "arch-proj-size", arch_proj_size, NULL, LSTM_ERROR_UNSUPPORTED,
      "proj_size" },
  { "arch-hidden-string", arch_hidden_string, NULL, LSTM_ERROR_FORMAT,
      "'hidden_size' must be an integer" },
  /* other metadata */
  { "metadata-not-object", meta_not_object, NULL, LSTM_ERROR_FORMAT,
      "__metadata__ is not a JSON object" },
  { "metadata-number", meta_value_number, NULL, LSTM_ERROR_FORMAT,
      "metadata 'lstm.description' is not a string" },
  { "metadata-object", meta_value_object, NULL, LSTM_ERROR_FORMAT,
      "metadata 'lstm.features' is not a string" },
  { "format-2", format_2, NULL, LSTM_ERROR_UNSUPPORTED,
      "lstm.format '2' is not supported" },
  { "task-unknown", task_unknown, NULL, LSTM_ERROR_FORMAT,
      "lstm.task 'dancing'" },
  { "labels-not-list", labels_not_list, NULL, LSTM_ERROR_FORMAT,
      "lstm.labels is not a JSON list" },
  { "labels-not-strings", labels_not_strings, NULL, LSTM_ERROR_FORMAT,
      "lstm.labels entry 0 is not a string" },
  { "labels-count", labels_count, NULL, LSTM_ERROR_SHAPE,
      "lstm.labels has 3 labels for 2 outputs" },
  { "labels-deep-nesting", labels_deep_nesting, NULL, LSTM_ERROR_FORMAT,
      "lstm.labels is not a JSON list" },
  { "features-not-object", features_not_object, NULL, LSTM_ERROR_FORMAT,
      "lstm.features is not a JSON object" },
};

static void
test_case (gconstpointer data)
{
  const Case *c = data;
  g_autoptr (Doc) d = doc_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autofree gchar *name = g_strconcat (c->name, ".safetensors", NULL);
  GByteArray *file;
  gsize header_len, max_alloc = 0;

  if (c->edit)
    c->edit (d);
  file = doc_serialize (d, &header_len);
  if (c->edit_bytes)
    c->edit_bytes (file, header_len);
  bytes = g_byte_array_free_to_bytes (file);

  alloc_counter_start ();
  m = lstm_model_load_from_bytes (bytes, name, &error);
  alloc_counter_stop (&max_alloc);

  if (alloc_counter_available ()) {
    g_test_message ("largest allocation: %" G_GSIZE_FORMAT " bytes",
        max_alloc);
    g_assert_cmpuint (max_alloc, <, MAX_ALLOCATION +
        4 * g_bytes_get_size (bytes));
  }
  if (c->code < 0) {
    g_assert_no_error (error);
    g_assert_nonnull (m);
    return;
  }
  g_assert_null (m);
  g_assert_error (error, LSTM_ERROR, c->code);
  g_test_message ("%s", error->message);
  if (strstr (error->message, c->needle) == NULL)
    g_error ("%s: message '%s' lacks '%s'", c->name, error->message,
        c->needle);
  if (strstr (error->message, name) == NULL)
    g_error ("%s: message '%s' does not name the file", c->name,
        error->message);
}

/* Values of the positive cases as they load. */
static void
test_loaded_values (void)
{
  g_autoptr (Doc) d = doc_new ();
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  g_autoptr (LstmModel) m = NULL, m16 = NULL;
  GByteArray *file;
  gsize hl;
  float x[2] = { 0.5f, -1.0f }, y[2], y16[2];

  /* the base file: normalisation, labels, features as written */
  file = doc_serialize (d, &hl);
  bytes = g_byte_array_free_to_bytes (file);
  m = lstm_model_load_from_bytes (bytes, "base", &error);
  g_assert_no_error (error);
  g_assert_cmpfloat (lstm_model_get_input_std (m)[1], ==, 4.0f);
  g_assert_cmpstr (lstm_model_get_label (m, 1), ==, "no");
  g_assert_cmpstr (lstm_model_get_features (m), ==, "{\"kind\":\"fbank\"}");
  g_assert_cmpint (lstm_model_get_task (m), ==, LSTM_TASK_CLASSIFICATION);

  /* F16 head.bias {1.5, -2} is widened exactly: the model computes what
   * the same file with an F32 head.bias {1.5, -2} computes, bitwise. */
  dtype_f16_ok (d);
  g_clear_pointer (&bytes, g_bytes_unref);
  file = doc_serialize (d, &hl);
  bytes = g_byte_array_free_to_bytes (file);
  m16 = lstm_model_load_from_bytes (bytes, "f16", &error);
  g_assert_no_error (error);
  {
    g_autoptr (Doc) d32 = doc_new ();
    g_autoptr (GBytes) b32 = NULL;
    g_autoptr (LstmModel) m32 = NULL;
    float bias[2] = { 1.5f, -2.0f };
    replace_tensor (d32, "head.bias", "F32", bias, sizeof bias);
    file = doc_serialize (d32, &hl);
    b32 = g_byte_array_free_to_bytes (file);
    m32 = lstm_model_load_from_bytes (b32, "f32", &error);
    g_assert_no_error (error);
    g_assert_true (lstm_model_forward_sequence (m16, x, 1, y16, NULL));
    g_assert_true (lstm_model_forward_sequence (m32, x, 1, y, NULL));
    g_assert_cmpmem (y, sizeof y, y16, sizeof y16);
    g_assert_true (lstm_model_forward_sequence (m, x, 1, y, NULL));
    g_assert_true (memcmp (y, y16, sizeof y) != 0);
  }
}

/* ---- widening: every finite F16 and BF16 value ---- */

/* A file holding one bias-free linear layer whose weight has @n_bits
 * 16-bit values, and the float32 data of the same model saved back. */
static float *
load_16bit_weights (const gchar *dtype, guint out, guint in,
    const guint16 *bits, guint n_bits)
{
  g_autoptr (GError) error = NULL;
  g_autofree gchar *header = g_strdup_printf ("{\"__metadata__\":{"
      "\"lstm.architecture\":\"[{\\\"type\\\":\\\"linear\\\","
      "\\\"name\\\":\\\"l\\\",\\\"in_features\\\":%u,"
      "\\\"out_features\\\":%u,\\\"bias\\\":false}]\"},"
      "\"l.weight\":{\"dtype\":\"%s\",\"shape\":[%u,%u],"
      "\"data_offsets\":[0,%u]}}", in, out, dtype, out, in, 2 * n_bits);
  GByteArray *f = g_byte_array_new ();
  g_autoptr (GBytes) bytes = NULL, saved = NULL;
  g_autoptr (LstmModel) m = NULL;
  const guint8 *d;
  gsize size, i;
  guint8 le[8];
  float *w;

  g_assert_cmpuint (out * in, ==, n_bits);
  write_le64 (le, strlen (header));
  g_byte_array_append (f, le, 8);
  g_byte_array_append (f, (const guint8 *) header, (guint) strlen (header));
  for (i = 0; i < n_bits; i++) {
    guint8 b[2] = { bits[i] & 0xff, bits[i] >> 8 };
    g_byte_array_append (f, b, 2);
  }
  bytes = g_byte_array_free_to_bytes (f);
  m = lstm_model_load_from_bytes (bytes, dtype, &error);
  g_assert_no_error (error);
  saved = lstm_model_save_to_bytes (m, &error);
  g_assert_no_error (error);
  d = g_bytes_get_data (saved, &size);
  g_assert_cmpuint (size, ==, 8 + read_le64 (d) + 4 * (gsize) n_bits);
  w = g_new (float, n_bits);
  for (i = 0; i < n_bits; i++) {
    guint32 v;
    memcpy (&v, d + 8 + read_le64 (d) + 4 * i, 4);
    v = GUINT32_FROM_LE (v);
    memcpy (&w[i], &v, 4);
  }
  return w;
}

static void
test_f16_exhaustive (void)
{
  /* 65536 halves minus the 2048 infinities and NaNs = 256 x 248 */
  g_autofree guint16 *bits = g_new (guint16, 256 * 248);
  g_autofree float *w = NULL;
  guint n = 0, v, i;

  for (v = 0; v < 65536; v++)
    if (((v >> 10) & 0x1f) != 0x1f)
      bits[n++] = (guint16) v;
  g_assert_cmpuint (n, ==, 256 * 248);
  w = load_16bit_weights ("F16", 256, 248, bits, n);
  for (i = 0; i < n; i++) {
    guint e = (bits[i] >> 10) & 0x1f, mant = bits[i] & 0x3ff;
    double mag = e ? ldexp (1024.0 + mant, (int) e - 25) :
        ldexp (mant, -24);
    float want = (float) ((bits[i] & 0x8000) ? -mag : mag);
    if (memcmp (&w[i], &want, 4) != 0)
      g_error ("F16 0x%04x widened to %.9g, expected %.9g", bits[i],
          (double) w[i], (double) want);
  }
}

static void
test_bf16_exhaustive (void)
{
  /* 65536 bfloat16s minus the 256 infinities and NaNs = 255 x 256 */
  g_autofree guint16 *bits = g_new (guint16, 255 * 256);
  g_autofree float *w = NULL;
  guint n = 0, v, i;

  for (v = 0; v < 65536; v++)
    if (((v >> 7) & 0xff) != 0xff)
      bits[n++] = (guint16) v;
  g_assert_cmpuint (n, ==, 255 * 256);
  w = load_16bit_weights ("BF16", 255, 256, bits, n);
  for (i = 0; i < n; i++) {
    guint e = (bits[i] >> 7) & 0xff, mant = bits[i] & 0x7f;
    double mag = e ? ldexp (128.0 + mant, (int) e - 134) :
        ldexp (mant, -133);
    float want = (float) ((bits[i] & 0x8000) ? -mag : mag);
    if (memcmp (&w[i], &want, 4) != 0)
      g_error ("BF16 0x%04x widened to %.9g, expected %.9g", bits[i],
          (double) w[i], (double) want);
  }
}

/* ---- mutation fuzzing ---- */

/* LSTM_FUZZ_ITERATIONS and LSTM_FUZZ_SEED in the environment run longer
 * or other campaigns. */
#define FUZZ_ITERATIONS 3000
#define FUZZ_SEED 0x5eed

static const gchar interesting[] = "{}[]\",:-.e0123456789 \\\0\xff";

static void
mutate (GRand *r, GByteArray *f)
{
  guint64 hl = read_le64 (f->data);
  gsize hend = (gsize) MIN (hl + 8, (guint64) f->len);
  guint kind = g_rand_int_range (r, 0, 100), i, n;

  if (f->len < 16)
    return;
  if (hend <= 16)
    kind = 60 + kind % 20;      /* no header left: flips or truncation */
  if (kind < 40) {
    /* flip bits in the header */
    n = g_rand_int_range (r, 1, 4);
    for (i = 0; i < n; i++)
      f->data[g_rand_int_range (r, 8, (gint32) hend)] ^=
          (guint8) (1u << g_rand_int_range (r, 0, 8));
  } else if (kind < 60) {
    /* a structural character somewhere in the header */
    f->data[g_rand_int_range (r, 8, (gint32) hend)] =
        (guint8) interesting[g_rand_int_range (r, 0, sizeof interesting)];
  } else if (kind < 70) {
    /* flip bits anywhere, data included */
    n = g_rand_int_range (r, 1, 9);
    for (i = 0; i < n; i++)
      f->data[g_rand_int_range (r, 0, (gint32) f->len)] ^=
          (guint8) (1u << g_rand_int_range (r, 0, 8));
  } else if (kind < 80) {
    /* truncate */
    g_byte_array_set_size (f, (guint) g_rand_int_range (r, 0,
            (gint32) f->len));
  } else if (kind < 85) {
    /* damage the header length */
    if (g_rand_boolean (r))
      write_le64 (f->data, hl + (guint64) g_rand_int_range (r, -16, 17));
    else
      write_le64 (f->data, ((guint64) g_rand_int (r) << 32) | g_rand_int (r));
  } else if (kind < 95) {
    /* rewrite a number in the header, keeping the length field right */
    gsize pos = (gsize) g_rand_int_range (r, 8, (gint32) hend), end;
    static const gchar *const numbers[] = { "0", "1", "-1", "7", "4294967295",
      "4294967296", "9223372036854775807", "18446744073709551616", "1e9",
      "0.5", "65536", "1099511627776", "3", "24", "2"
    };
    const gchar *num = numbers[g_rand_int_range (r, 0,
            G_N_ELEMENTS (numbers))];
    while (pos < hend && !g_ascii_isdigit (f->data[pos]))
      pos++;
    if (pos >= hend)
      return;
    for (end = pos; end < hend && g_ascii_isdigit (f->data[end]); end++);
    g_byte_array_remove_range (f, (guint) pos, (guint) (end - pos));
    {
      GByteArray *tail = g_byte_array_new ();
      g_byte_array_append (tail, f->data + pos, f->len - (guint) pos);
      g_byte_array_set_size (f, (guint) pos);
      g_byte_array_append (f, (const guint8 *) num, (guint) strlen (num));
      g_byte_array_append (f, tail->data, tail->len);
      g_byte_array_unref (tail);
    }
    write_le64 (f->data, hl - (end - pos) + strlen (num));
  } else {
    /* several at once */
    mutate (r, f);
    if (f->len > 16)
      mutate (r, f);
  }
}

static void
test_fuzz (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) base = NULL;
  g_autoptr (GBytes) base_file = NULL;
  const gchar *env_n = g_getenv ("LSTM_FUZZ_ITERATIONS");
  const gchar *env_seed = g_getenv ("LSTM_FUZZ_SEED");
  guint n_iter = env_n ? (guint) g_ascii_strtoull (env_n, NULL, 10) :
      FUZZ_ITERATIONS;
  g_autoptr (GRand) r = g_rand_new_with_seed (env_seed ?
      (guint32) g_ascii_strtoull (env_seed, NULL, 0) : FUZZ_SEED);
  static const gchar *labels[] = { "a", "b", "c", NULL };
  const float mean[3] = { 1, 2, 3 }, std[3] = { 1, 2, 4 };
  LstmModelOptions opts = { 0 };
  guint i, n_ok = 0, n_codes[LSTM_ERROR_DIVERGED + 1] = { 0 };
  gsize max_alloc_all = 0;

  opts.seed = 11;
  opts.labels = labels;
  opts.input_mean = mean;
  opts.input_std = std;
  opts.features = "{\"kind\":\"mfcc\",\"n\":[1,2]}";
  base = lstm_model_new ("[{\"type\":\"lstm\",\"name\":\"a\",\"input_size\":3,"
      "\"hidden_size\":4,\"num_layers\":2,\"peephole\":true},"
      "{\"type\":\"gru\",\"name\":\"b\",\"hidden_size\":3,\"bidirectional\":"
      "true},{\"type\":\"linear\",\"name\":\"c\",\"out_features\":3,"
      "\"activation\":\"softmax\"}]", &opts, &error);
  g_assert_no_error (error);
  base_file = lstm_model_save_to_bytes (base, &error);
  g_assert_no_error (error);

  for (i = 0; i < n_iter; i++) {
    GByteArray *f = g_byte_array_new ();
    g_autoptr (GBytes) bytes = NULL;
    g_autoptr (LstmModel) m = NULL;
    g_autoptr (GError) err = NULL;
    gsize max_alloc = 0;

    g_byte_array_append (f, g_bytes_get_data (base_file, NULL),
        (guint) g_bytes_get_size (base_file));
    mutate (r, f);
    bytes = g_byte_array_free_to_bytes (f);
    alloc_counter_start ();
    m = lstm_model_load_from_bytes (bytes, "fuzzed.safetensors", &err);
    alloc_counter_stop (&max_alloc);
    max_alloc_all = MAX (max_alloc_all, max_alloc);
    if (m != NULL) {
      /* whatever loaded must run */
      gsize I = lstm_model_get_input_size (m), k;
      g_autofree float *x = g_new (float, 5 * I);
      g_autofree float *y = g_new (float,
          5 * (gsize) lstm_model_get_output_size (m));
      g_assert_no_error (err);
      for (k = 0; k < 5 * I; k++)
        x[k] = (float) (k % 7) - 3.0f;
      g_assert_true (lstm_model_forward_sequence (m, x, 5, y, NULL));
      n_ok++;
    } else {
      g_assert_nonnull (err);
      g_assert_true (err->domain == LSTM_ERROR);
      g_assert_cmpint (err->code, <=, LSTM_ERROR_DIVERGED);
      g_assert_nonnull (strstr (err->message, "fuzzed.safetensors"));
      n_codes[err->code]++;
    }
  }
  g_test_message ("%u mutated files: %u loaded, errors: io %u, format %u, "
      "shape %u, unsupported %u, argument %u", n_iter, n_ok,
      n_codes[LSTM_ERROR_IO], n_codes[LSTM_ERROR_FORMAT],
      n_codes[LSTM_ERROR_SHAPE], n_codes[LSTM_ERROR_UNSUPPORTED],
      n_codes[LSTM_ERROR_ARGUMENT]);
  if (alloc_counter_available ()) {
    g_test_message ("largest allocation: %" G_GSIZE_FORMAT " bytes",
        max_alloc_all);
    g_assert_cmpuint (max_alloc_all, <, MAX_ALLOCATION);
  }
  /* the mutations reach past the first checks */
  g_assert_cmpuint (n_codes[LSTM_ERROR_FORMAT], >, 100);
  g_assert_cmpuint (n_codes[LSTM_ERROR_SHAPE] +
      n_codes[LSTM_ERROR_UNSUPPORTED] + n_codes[LSTM_ERROR_ARGUMENT], >, 20);
}

static void
test_load_missing_file (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = lstm_model_load ("/nonexistent/model.safetensors",
      &error);

  g_assert_null (m);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_IO);
  g_assert_nonnull (strstr (error->message, "/nonexistent/model.safetensors"));
}

/* A 10 GB file (sparse: it takes no disk space) is refused on its size,
 * before any of it is read, naming both sizes; as is a valid model file
 * above a lower limit, given as an argument or in LSTM_MAX_MODEL_SIZE. */
static void
test_size_limit (void)
{
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-limit-XXXXXX", NULL);
  g_autofree gchar *big = g_build_filename (dir, "big.safetensors", NULL);
  g_autofree gchar *ok = g_build_filename (dir, "ok.safetensors", NULL);
  g_autoptr (GBytes) bytes = base_bytes ();
  g_autoptr (GError) error = NULL;
  g_autoptr (LstmModel) m = NULL;
  g_autofree gchar *limit = NULL;
  gsize size = g_bytes_get_size (bytes);
  FILE *fp;

  g_assert_cmpuint (lstm_get_max_model_size (), ==,
      LSTM_DEFAULT_MAX_MODEL_SIZE);
  fp = fopen (big, "wb");
  g_assert_nonnull (fp);
  g_assert_cmpint (fwrite (g_bytes_get_data (bytes, NULL), 1, size, fp), ==,
      size);
  g_assert_cmpint (fseeko (fp, (off_t) 10000000000LL - 1, SEEK_SET), ==, 0);
  g_assert_cmpint (fputc (0, fp), ==, 0);
  g_assert_cmpint (fclose (fp), ==, 0);
  m = lstm_model_load (big, &error);
  g_assert_null (m);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, big));
  g_assert_nonnull (strstr (error->message, "10000000000 bytes"));
  g_assert_nonnull (strstr (error->message, "2147483648"));
  g_clear_error (&error);

  g_assert_true (g_file_set_contents (ok, g_bytes_get_data (bytes, NULL),
          (gssize) size, NULL));
  m = lstm_model_load_with_limit (ok, size, &error);
  g_assert_no_error (error);
  g_clear_pointer (&m, lstm_model_unref);
  m = lstm_model_load_with_limit (ok, size - 1, &error);
  g_assert_null (m);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  /* the environment sets the default limit */
  limit = g_strdup_printf ("%" G_GSIZE_FORMAT, size - 1);
  g_setenv ("LSTM_MAX_MODEL_SIZE", limit, TRUE);
  g_assert_cmpuint (lstm_get_max_model_size (), ==, size - 1);
  m = lstm_model_load (ok, &error);
  g_assert_null (m);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT);
  g_clear_error (&error);
  g_setenv ("LSTM_MAX_MODEL_SIZE", "1k", TRUE);
  g_assert_cmpuint (lstm_get_max_model_size (), ==, 1024);
  g_setenv ("LSTM_MAX_MODEL_SIZE", "11G", TRUE);
  g_assert_cmpuint (lstm_get_max_model_size (), ==,
      G_GUINT64_CONSTANT (11) << 30);
  /* within that limit, the same file loads: the model, then zeros the
   * loader never reads (it maps the file) */
  m = lstm_model_load (big, &error);
  g_assert_no_error (error);
  g_clear_pointer (&m, lstm_model_unref);
  g_unsetenv ("LSTM_MAX_MODEL_SIZE");
  /* a folder is not a model */
  m = lstm_model_load (dir, &error);
  g_assert_null (m);
  g_assert_error (error, LSTM_ERROR, LSTM_ERROR_IO);
  g_clear_error (&error);
  g_remove (big);
  g_remove (ok);
  g_rmdir (dir);
}

/* Saving removes the temporary files ".NAME.XXXXXX" that killed saves of
 * the same file left, and nothing else: not another file's, not names of
 * another shape, not one still locked by a save in progress. */
static void
test_stale_temporaries (void)
{
  static const gchar *const stale[] = { ".m.safetensors.AbC123",
    ".m.safetensors.zzzzzz", ".m.safetensors.locked"
  };
  static const gchar *const kept[] = { ".m.safetensors.AbC12",
    ".m.safetensors.AbC1234", ".n.safetensors.AbC123", "m.safetensors.AbC123",
    ".m.safetensors.AbC-12"
  };
  g_autofree gchar *dir = g_dir_make_tmp ("lstm-stale-XXXXXX", NULL);
  g_autofree gchar *dest = g_build_filename (dir, "m.safetensors", NULL);
  g_autofree gchar *locked = g_build_filename (dir, ".m.safetensors.Locked",
      NULL);
  g_autoptr (GBytes) bytes = base_bytes ();
  g_autoptr (LstmModel) m = lstm_model_load_from_bytes (bytes, "base", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GDir) d = NULL;
  const gchar *name;
  guint i, n = 0;
  int fd;

  g_assert_nonnull (m);
  for (i = 0; i < G_N_ELEMENTS (stale); i++) {
    g_autofree gchar *p = g_build_filename (dir, stale[i], NULL);
    g_assert_true (g_file_set_contents (p, "partial", -1, NULL));
  }
  for (i = 0; i < G_N_ELEMENTS (kept); i++) {
    g_autofree gchar *p = g_build_filename (dir, kept[i], NULL);
    g_assert_true (g_file_set_contents (p, "other", -1, NULL));
  }
  /* a save in progress elsewhere holds its lock */
  g_assert_true (g_file_set_contents (locked, "in progress", -1, NULL));
  fd = g_open (locked, O_RDONLY, 0);
  g_assert_cmpint (fd, >=, 0);
  g_assert_cmpint (flock (fd, LOCK_EX), ==, 0);

  g_assert_true (lstm_model_save (m, dest, &error));
  g_assert_no_error (error);
  g_assert_true (lstm_model_save (m, dest, &error));
  close (fd);
  for (i = 0; i < G_N_ELEMENTS (stale); i++) {
    g_autofree gchar *p = g_build_filename (dir, stale[i], NULL);
    g_assert_false (g_file_test (p, G_FILE_TEST_EXISTS));
  }
  d = g_dir_open (dir, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *p = g_build_filename (dir, name, NULL);
    n++;
    g_remove (p);
  }
  /* the kept ones, the locked one, the model */
  g_assert_cmpuint (n, ==, G_N_ELEMENTS (kept) + 2);
  g_rmdir (dir);
}

int
main (int argc, char **argv)
{
  guint i;

  g_test_init (&argc, &argv, NULL);
  for (i = 0; i < G_N_ELEMENTS (cases); i++) {
    g_autofree gchar *path = g_strdup_printf ("/safetensors/%s/%s",
        cases[i].code < 0 ? "valid" : "invalid", cases[i].name);
    g_test_add_data_func (path, &cases[i], test_case);
  }
  g_test_add_func ("/safetensors/loaded-values", test_loaded_values);
  g_test_add_func ("/safetensors/missing-file", test_load_missing_file);
  g_test_add_func ("/safetensors/size-limit", test_size_limit);
  g_test_add_func ("/safetensors/stale-temporaries", test_stale_temporaries);
  g_test_add_func ("/safetensors/f16-exhaustive", test_f16_exhaustive);
  g_test_add_func ("/safetensors/bf16-exhaustive", test_bf16_exhaustive);
  g_test_add_func ("/safetensors/fuzz", test_fuzz);
  return g_test_run ();
}
