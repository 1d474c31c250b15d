/* liblstm: safetensors reader (bounds-checked) and atomic writer
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Layout: 8-byte little-endian header length N, N bytes of JSON, then the
 * data section. Every tensor's data_offsets are relative to the data
 * section. Nothing in the header is trusted before it has been checked.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "lstm-private.h"

static const struct {
  const gchar *name;
  LstmDtype dtype;
  guint size;
} dtypes[] = {
  { "F32", LSTM_DTYPE_F32, 4 },
  { "F16", LSTM_DTYPE_F16, 2 },
  { "BF16", LSTM_DTYPE_BF16, 2 },
  { "F64", LSTM_DTYPE_F64, 8 },
  { "I64", LSTM_DTYPE_I64, 8 },
  { "I32", LSTM_DTYPE_I32, 4 },
  { "I16", LSTM_DTYPE_I16, 2 },
  { "I8", LSTM_DTYPE_I8, 1 },
  { "U64", LSTM_DTYPE_U64, 8 },
  { "U32", LSTM_DTYPE_U32, 4 },
  { "U16", LSTM_DTYPE_U16, 2 },
  { "U8", LSTM_DTYPE_U8, 1 },
  { "BOOL", LSTM_DTYPE_BOOL, 1 },
  { "F8_E4M3", LSTM_DTYPE_F8_E4M3, 1 },
  { "F8_E5M2", LSTM_DTYPE_F8_E5M2, 1 },
};

static guint
dtype_size (LstmDtype dtype)
{
  guint i;
  for (i = 0; i < G_N_ELEMENTS (dtypes); i++)
    if (dtypes[i].dtype == dtype)
      return dtypes[i].size;
  g_return_val_if_reached (1);
}

const gchar *
lstm_dtype_to_string (LstmDtype dtype)
{
  guint i;
  for (i = 0; i < G_N_ELEMENTS (dtypes); i++)
    if (dtypes[i].dtype == dtype)
      return dtypes[i].name;
  return "?";
}

gboolean
lstm_json_parser_load (JsonParser *parser, const gchar *text, gssize length,
    GError **error)
{
  gsize len = length < 0 ? strlen (text) : (gsize) length, i;
  guint depth = 0;
  gboolean in_string = FALSE;

  for (i = 0; i < len; i++) {
    gchar ch = text[i];
    if (in_string) {
      if (ch == '\\')
        i++;
      else if (ch == '"')
        in_string = FALSE;
    } else if (ch == '"') {
      in_string = TRUE;
    } else if (ch == '[' || ch == '{') {
      if (++depth > LSTM_JSON_MAX_DEPTH) {
        g_set_error (error, JSON_PARSER_ERROR, JSON_PARSER_ERROR_PARSE,
            "nested more than %u levels deep", LSTM_JSON_MAX_DEPTH);
        return FALSE;
      }
    } else if ((ch == ']' || ch == '}') && depth > 0) {
      depth--;
    }
  }
  return json_parser_load_from_data (parser, text, length, error);
}

static void
st_tensor_free (gpointer p)
{
  LstmStTensor *t = p;
  g_free (t->name);
  g_free (t);
}

void
lstm_st_file_free (LstmStFile *file)
{
  if (file == NULL)
    return;
  g_free (file->name);
  g_clear_pointer (&file->bytes, g_bytes_unref);
  g_clear_pointer (&file->tensors, g_hash_table_unref);
  g_clear_pointer (&file->metadata, g_hash_table_unref);
  g_free (file);
}

/* An integer JSON node in [0, max], or FALSE. */
static gboolean
get_uint_node (JsonNode *node, guint64 max, guint64 *out)
{
  gint64 v;

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    return FALSE;
  v = json_node_get_int (node);
  if (v < 0 || (guint64) v > max)
    return FALSE;
  *out = (guint64) v;
  return TRUE;
}

static gboolean
parse_tensor_entry (LstmStFile *file, const gchar *tname, JsonNode *node,
    guint64 data_size, GError **error)
{
  JsonObject *obj;
  JsonNode *dtype_node, *shape_node, *offsets_node;
  JsonArray *shape, *offsets;
  const gchar *dtype_str;
  g_autofree LstmStTensor *t = NULL;
  guint64 n = 1, begin, end;
  guint i;
  gboolean found = FALSE;

  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: tensor '%s' is not a JSON object", file->name, tname);
    return FALSE;
  }
  obj = json_node_get_object (node);
  dtype_node = json_object_get_member (obj, "dtype");
  shape_node = json_object_get_member (obj, "shape");
  offsets_node = json_object_get_member (obj, "data_offsets");
  if (dtype_node == NULL || json_node_get_value_type (dtype_node) !=
      G_TYPE_STRING || shape_node == NULL ||
      !JSON_NODE_HOLDS_ARRAY (shape_node) || offsets_node == NULL ||
      !JSON_NODE_HOLDS_ARRAY (offsets_node)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: tensor '%s' needs a string 'dtype' and arrays 'shape' and "
        "'data_offsets'", file->name, tname);
    return FALSE;
  }
  if (json_object_get_size (obj) != 3) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: tensor '%s' has members other than dtype, shape and "
        "data_offsets", file->name, tname);
    return FALSE;
  }

  t = g_new0 (LstmStTensor, 1);
  dtype_str = json_node_get_string (dtype_node);
  for (i = 0; i < G_N_ELEMENTS (dtypes); i++)
    if (strcmp (dtype_str, dtypes[i].name) == 0) {
      t->dtype = dtypes[i].dtype;
      found = TRUE;
    }
  if (!found) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: tensor '%s' has unknown dtype '%s'", file->name, tname,
        dtype_str);
    return FALSE;
  }

  shape = json_node_get_array (shape_node);
  if (json_array_get_length (shape) > LSTM_ST_MAX_DIMS) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: tensor '%s' has %u dimensions, at most %u are supported",
        file->name, tname, json_array_get_length (shape), LSTM_ST_MAX_DIMS);
    return FALSE;
  }
  t->n_dims = json_array_get_length (shape);
  for (i = 0; i < t->n_dims; i++) {
    if (!get_uint_node (json_array_get_element (shape, i), G_MAXUINT32,
            &t->shape[i])) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: tensor '%s': shape entry %u is not an integer in 0..%u",
          file->name, tname, i, G_MAXUINT32);
      return FALSE;
    }
    /* Each factor is below 2^32 and the running product stays below the
     * data size (< 2^64), so checking before multiplying cannot overflow. */
    if (t->shape[i] != 0 && n > data_size / t->shape[i]) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: tensor '%s' is larger than the file's data section",
          file->name, tname);
      return FALSE;
    }
    n *= t->shape[i];
  }
  t->n_elements = n;

  offsets = json_node_get_array (offsets_node);
  if (json_array_get_length (offsets) != 2 ||
      !get_uint_node (json_array_get_element (offsets, 0), G_MAXINT64,
          &begin) ||
      !get_uint_node (json_array_get_element (offsets, 1), G_MAXINT64, &end)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: tensor '%s': data_offsets must be two non-negative integers",
        file->name, tname);
    return FALSE;
  }
  if (begin > end || end > data_size) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: tensor '%s': data_offsets [%" G_GUINT64_FORMAT ", %"
        G_GUINT64_FORMAT "] out of range (data section is %" G_GUINT64_FORMAT
        " bytes)", file->name, tname, begin, end, data_size);
    return FALSE;
  }
  if (n > data_size / dtype_size (t->dtype) ||
      end - begin != n * dtype_size (t->dtype)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: tensor '%s': data_offsets span %" G_GUINT64_FORMAT
        " bytes but its shape and dtype need %" G_GUINT64_FORMAT,
        file->name, tname, end - begin, n * dtype_size (t->dtype));
    return FALSE;
  }
  t->begin = begin;
  t->end = end;
  t->name = g_strdup (tname);
  {
    LstmStTensor *owned = g_steal_pointer (&t);
    g_hash_table_insert (file->tensors, owned->name, owned);
  }
  return TRUE;
}

static gboolean
parse_metadata (LstmStFile *file, JsonNode *node, GError **error)
{
  JsonObject *obj;
  g_autoptr (GList) members = NULL;
  GList *l;

  if (!JSON_NODE_HOLDS_OBJECT (node)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: __metadata__ is not a JSON object", file->name);
    return FALSE;
  }
  obj = json_node_get_object (node);
  members = json_object_get_members (obj);
  for (l = members; l; l = l->next) {
    JsonNode *v = json_object_get_member (obj, l->data);
    if (!JSON_NODE_HOLDS_VALUE (v) ||
        json_node_get_value_type (v) != G_TYPE_STRING) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: metadata '%s' is not a string", file->name,
          (const gchar *) l->data);
      return FALSE;
    }
    g_hash_table_insert (file->metadata, g_strdup (l->data),
        g_strdup (json_node_get_string (v)));
  }
  return TRUE;
}

static gint
compare_begin (gconstpointer a, gconstpointer b)
{
  const LstmStTensor *ta = *(LstmStTensor * const *) a;
  const LstmStTensor *tb = *(LstmStTensor * const *) b;
  if (ta->begin != tb->begin)
    return ta->begin < tb->begin ? -1 : 1;
  if (ta->end != tb->end)
    return ta->end < tb->end ? -1 : 1;
  return 0;
}

static gboolean
check_overlaps (LstmStFile *file, GError **error)
{
  g_autoptr (GPtrArray) sorted = g_ptr_array_new ();
  const LstmStTensor *furthest = NULL;
  GHashTableIter iter;
  gpointer value;
  guint i;

  g_hash_table_iter_init (&iter, file->tensors);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (sorted, value);
  g_ptr_array_sort (sorted, compare_begin);
  /* Empty tensors occupy nothing: compare each non-empty tensor with the
   * one reaching furthest among those before it. */
  for (i = 0; i < sorted->len; i++) {
    const LstmStTensor *b = sorted->pdata[i];
    if (b->begin == b->end)
      continue;
    if (furthest != NULL && b->begin < furthest->end) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: tensors '%s' and '%s' overlap in the data section",
          file->name, furthest->name, b->name);
      return FALSE;
    }
    if (furthest == NULL || b->end > furthest->end)
      furthest = b;
  }
  return TRUE;
}

LstmStFile *
lstm_st_file_parse (GBytes *bytes, const gchar *name, GError **error)
{
  g_autoptr (LstmStFile) file = g_new0 (LstmStFile, 1);
  g_autoptr (JsonParser) parser = NULL;
  g_autoptr (GError) json_error = NULL;
  g_autoptr (GList) members = NULL;
  const guint8 *data;
  gsize size;
  guint64 header_len = 0, data_size;
  JsonNode *root;
  JsonObject *obj;
  GList *l;
  GHashTableIter iter;
  gpointer value;
  guint i;

  file->name = g_strdup (name ? name : "(memory)");
  file->bytes = g_bytes_ref (bytes);
  file->tensors = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
      st_tensor_free);
  file->metadata = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
      g_free);
  data = g_bytes_get_data (bytes, &size);

  if (size < 8) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: file is %" G_GSIZE_FORMAT " bytes, too short for a safetensors "
        "header", file->name, size);
    return NULL;
  }
  for (i = 0; i < 8; i++)
    header_len |= (guint64) data[i] << (8 * i);
  if (header_len > size - 8) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: header length %" G_GUINT64_FORMAT " runs past the end of the "
        "file (%" G_GSIZE_FORMAT " bytes)", file->name, header_len, size);
    return NULL;
  }
  if (header_len > LSTM_ST_MAX_HEADER || header_len < 2) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: header length %" G_GUINT64_FORMAT " is out of range (2..%u)",
        file->name, header_len, LSTM_ST_MAX_HEADER);
    return NULL;
  }
  if (data[8] != '{') {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: header does not start with '{': not a safetensors file",
        file->name);
    return NULL;
  }
  if (memchr (data + 8, '\0', header_len) != NULL ||
      !g_utf8_validate ((const gchar *) data + 8, header_len, NULL)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: header is not valid UTF-8 text", file->name);
    return NULL;
  }
  data_size = size - 8 - header_len;

  parser = json_parser_new_immutable ();
  if (!lstm_json_parser_load (parser, (const gchar *) data + 8,
          header_len, &json_error)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: header is not valid JSON: %s", file->name, json_error->message);
    return NULL;
  }
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
        "%s: header is not a JSON object", file->name);
    return NULL;
  }
  obj = json_node_get_object (root);
  members = json_object_get_members (obj);
  for (l = members; l; l = l->next) {
    const gchar *member = l->data;
    JsonNode *node = json_object_get_member (obj, member);
    if (strcmp (member, "__metadata__") == 0) {
      if (!parse_metadata (file, node, error))
        return NULL;
    } else if (!parse_tensor_entry (file, member, node, data_size, error)) {
      return NULL;
    }
  }
  if (!check_overlaps (file, error))
    return NULL;

  g_hash_table_iter_init (&iter, file->tensors);
  while (g_hash_table_iter_next (&iter, NULL, &value)) {
    LstmStTensor *t = value;
    t->data = data + 8 + header_len + t->begin;
  }
  return g_steal_pointer (&file);
}

static float
half_to_float (guint16 h)
{
  guint32 sign = (guint32) (h & 0x8000u) << 16;
  guint32 exp = (h >> 10) & 0x1fu;
  guint32 mant = h & 0x3ffu;
  guint32 bits;
  float f;

  if (exp == 0) {
    /* zero or subnormal: mant * 2^-24 is exact in float */
    f = ldexpf ((float) mant, -24);
    return sign ? -f : f;
  }
  if (exp == 31)
    bits = sign | 0x7f800000u | (mant << 13);
  else
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  memcpy (&f, &bits, sizeof f);
  return f;
}

gboolean
lstm_st_tensor_read_f32 (const LstmStFile *file, const LstmStTensor *tensor,
    float *dst, GError **error)
{
  guint64 i;

  for (i = 0; i < tensor->n_elements; i++) {
    const guint8 *p;
    guint32 bits;
    float f;

    switch (tensor->dtype) {
      case LSTM_DTYPE_F32:
        p = tensor->data + 4 * i;
        bits = (guint32) p[0] | (guint32) p[1] << 8 | (guint32) p[2] << 16 |
            (guint32) p[3] << 24;
        memcpy (&f, &bits, sizeof f);
        break;
      case LSTM_DTYPE_F16:
        p = tensor->data + 2 * i;
        f = half_to_float ((guint16) (p[0] | p[1] << 8));
        break;
      case LSTM_DTYPE_BF16:
        p = tensor->data + 2 * i;
        bits = ((guint32) p[0] | (guint32) p[1] << 8) << 16;
        memcpy (&f, &bits, sizeof f);
        break;
      default:
        g_set_error (error, LSTM_ERROR, LSTM_ERROR_UNSUPPORTED,
            "%s: tensor '%s' has dtype %s; only F32, F16 and BF16 are "
            "supported", file->name, tensor->name,
            lstm_dtype_to_string (tensor->dtype));
        return FALSE;
    }
    if (!isfinite (f)) {
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_FORMAT,
          "%s: tensor '%s' holds a non-finite value (%g) at index %"
          G_GUINT64_FORMAT, file->name, tensor->name, (double) f, i);
      return FALSE;
    }
    dst[i] = f;
  }
  return TRUE;
}

/* ---- writer ---- */

static gint
compare_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(const gchar * const *) a, *(const gchar * const *) b);
}

GBytes *
lstm_st_serialize (const LstmStWriteTensor *tensors, guint n_tensors,
    GHashTable *metadata)
{
  LstmJsonWriter *w = lstm_json_writer_new ();
  g_autofree gchar *header = NULL;
  GByteArray *out;
  gsize header_len, padded, offset = 0;
  guint i, d;

  lstm_json_begin_object (w, NULL);
  if (metadata != NULL && g_hash_table_size (metadata) > 0) {
    g_autofree gpointer *keys = NULL;
    guint n_keys;

    keys = g_hash_table_get_keys_as_array (metadata, &n_keys);
    qsort (keys, n_keys, sizeof (gpointer), compare_str);
    lstm_json_begin_object (w, "__metadata__");
    for (i = 0; i < n_keys; i++)
      lstm_json_add_string (w, keys[i],
          g_hash_table_lookup (metadata, keys[i]));
    lstm_json_end_object (w);
  }
  for (i = 0; i < n_tensors; i++) {
    const LstmStWriteTensor *t = &tensors[i];
    guint64 n = 1;

    lstm_json_begin_object (w, t->name);
    lstm_json_add_string (w, "dtype", lstm_dtype_to_string (t->dtype));
    lstm_json_begin_array (w, "shape");
    for (d = 0; d < t->n_dims; d++) {
      lstm_json_add_int (w, NULL, (gint64) t->shape[d]);
      n *= t->shape[d];
    }
    lstm_json_end_array (w);
    lstm_json_begin_array (w, "data_offsets");
    lstm_json_add_int (w, NULL, (gint64) offset);
    offset += n * dtype_size (t->dtype);
    lstm_json_add_int (w, NULL, (gint64) offset);
    lstm_json_end_array (w);
    lstm_json_end_object (w);
  }
  lstm_json_end_object (w);
  header = lstm_json_writer_finish (w);
  header_len = strlen (header);
  /* Pad the header with spaces so the data section starts 8-aligned. */
  padded = (header_len + 7) & ~(gsize) 7;

  out = g_byte_array_sized_new (8 + padded + offset);
  {
    guint8 len_le[8];
    for (i = 0; i < 8; i++)
      len_le[i] = (guint8) (((guint64) padded >> (8 * i)) & 0xff);
    g_byte_array_append (out, len_le, 8);
  }
  g_byte_array_append (out, (const guint8 *) header, header_len);
  for (i = header_len; i < padded; i++)
    g_byte_array_append (out, (const guint8 *) " ", 1);
  for (i = 0; i < n_tensors; i++) {
    const LstmStWriteTensor *t = &tensors[i];
    guint64 n = 1;
    for (d = 0; d < t->n_dims; d++)
      n *= t->shape[d];
    if (G_BYTE_ORDER == G_LITTLE_ENDIAN || dtype_size (t->dtype) == 1) {
      g_byte_array_append (out, t->data, n * dtype_size (t->dtype));
    } else {
      guint sz = dtype_size (t->dtype), b;
      guint64 e;
      for (e = 0; e < n; e++)
        for (b = 0; b < sz; b++)
          g_byte_array_append (out,
              (const guint8 *) t->data + e * sz + (sz - 1 - b), 1);
    }
  }
  return g_byte_array_free_to_bytes (out);
}

/* Removes the temporary files ".BASE.XXXXXX" (six characters of
 * g_mkstemp()'s alphabet) in @dir that an earlier save of the same file
 * left behind when it was killed. A save in progress holds an exclusive
 * flock() on its temporary file, which the kernel releases when the process
 * dies, so a file whose lock can be taken is stale; one still locked is left
 * alone. Failures are ignored: the cleanup is best effort. */
static void
remove_stale_temporaries (const gchar *dir, const gchar *base)
{
  g_autoptr (GDir) d = g_dir_open (dir, 0, NULL);
  g_autofree gchar *prefix = g_strdup_printf (".%s.", base);
  gsize plen = strlen (prefix);
  const gchar *name;

  if (d == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL) {
    g_autofree gchar *full = NULL;
    gsize i;
    int fd;

    if (strlen (name) != plen + 6 || strncmp (name, prefix, plen) != 0)
      continue;
    for (i = plen; i < plen + 6; i++)
      if (!g_ascii_isalnum (name[i]))
        break;
    if (i < plen + 6)
      continue;
    full = g_build_filename (dir, name, NULL);
    fd = g_open (full, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, 0);
    if (fd < 0)
      continue;
    if (flock (fd, LOCK_EX | LOCK_NB) == 0)
      (void) g_unlink (full);
    close (fd);
  }
}

/* Writes @bytes to @path through a temporary file ".BASE.XXXXXX" in the
 * same folder, synced, then renamed over @path; first removes the stale
 * temporary files of @path that killed saves left. */
gboolean
lstm_write_file_atomic (const gchar *path, GBytes *bytes, GError **error)
{
  g_autofree gchar *dir = g_path_get_dirname (path);
  g_autofree gchar *base = g_path_get_basename (path);
  g_autofree gchar *tmpl = g_strdup_printf ("%s/.%s.XXXXXX", dir, base);
  gsize size, done = 0;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  int fd, saved;

  remove_stale_temporaries (dir, base);
  for (;;) {
    struct stat st;

    fd = g_mkstemp_full (tmpl, O_WRONLY | O_CLOEXEC, 0644);
    if (fd < 0) {
      saved = errno;
      g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO,
          "%s: cannot create a temporary file in '%s': %s", path, dir,
          g_strerror (saved));
      return FALSE;
    }
    /* Marks the file as in use until it is renamed or this process dies
     * (see remove_stale_temporaries()); another save's cleanup may have
     * removed it just before the lock was taken: then try again. */
    (void) flock (fd, LOCK_EX);
    if (fstat (fd, &st) != 0 || st.st_nlink > 0)
      break;
    close (fd);
    memcpy (tmpl + strlen (tmpl) - 6, "XXXXXX", 6);
  }
  while (done < size) {
    ssize_t w = write (fd, data + done, size - done);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      saved = w < 0 ? errno : ENOSPC;
      goto fail;
    }
    done += (gsize) w;
  }
  if (fsync (fd) != 0) {
    saved = errno;
    goto fail;
  }
  if (close (fd) != 0) {
    saved = errno;
    fd = -1;
    goto fail;
  }
  fd = -1;
  if (g_rename (tmpl, path) != 0) {
    saved = errno;
    goto fail;
  }
  /* Make the rename itself durable. */
  fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    (void) fsync (fd);
    close (fd);
  }
  return TRUE;

fail:
  if (fd >= 0)
    close (fd);
  g_unlink (tmpl);
  g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot write: %s",
      path, g_strerror (saved));
  return FALSE;
}

GBytes *
lstm_map_file (const gchar *path, guint64 max_size, GError **error)
{
  g_autoptr (GMappedFile) mapped = NULL;
  g_autoptr (GError) local = NULL;
  struct stat st;
  int fd, saved;

  if (max_size == 0)
    max_size = lstm_get_max_model_size ();
  fd = g_open (path, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) {
    saved = errno;
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot read: %s",
        path, g_strerror (saved));
    return NULL;
  }
  if (fstat (fd, &st) != 0) {
    saved = errno;
    close (fd);
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot read: %s",
        path, g_strerror (saved));
    return NULL;
  }
  if (!S_ISREG (st.st_mode)) {
    close (fd);
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot read: not "
        "a regular file", path);
    return NULL;
  }
  if ((guint64) st.st_size > max_size) {
    close (fd);
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_ARGUMENT, "%s: the file is "
        "%" G_GUINT64_FORMAT " bytes, more than the limit of %"
        G_GUINT64_FORMAT " (max-model-size, LSTM_MAX_MODEL_SIZE)", path,
        (guint64) st.st_size, max_size);
    return NULL;
  }
  mapped = g_mapped_file_new_from_fd (fd, FALSE, &local);
  close (fd);
  if (mapped == NULL) {
    g_set_error (error, LSTM_ERROR, LSTM_ERROR_IO, "%s: cannot read: %s",
        path, local->message);
    return NULL;
  }
  return g_mapped_file_get_bytes (mapped);
}
