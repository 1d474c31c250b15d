/* liblstm: audio features, private declarations (features-*.c)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */
#pragma once

#include "lstm-private.h"

#include <kiss_fft.h>

G_BEGIN_DECLS

/* Limits that keep every size product far from overflow and refuse absurd
 * configurations before anything is allocated. */
#define LSTM_FEATURES_MAX_WINDOW (1u << 20)     /* samples per window / FFT */
#define LSTM_FEATURES_MAX_BINS 4096u            /* mel bins, cepstra */
#define LSTM_FEATURES_MAX_RATE 1000000u         /* Hz */
#define LSTM_FEATURES_MAX_DELTA_WIN 101u        /* compute_deltas win_length */

typedef enum {
  LSTM_FEATURES_FBANK,
  LSTM_FEATURES_MFCC,
  LSTM_FEATURES_MELSPEC,
  LSTM_FEATURES_RAW,
} LstmFeaturesKind;

/* torchaudio.compliance.kaldi window_type names */
typedef enum {
  LSTM_KALDI_WINDOW_HAMMING,
  LSTM_KALDI_WINDOW_HANNING,
  LSTM_KALDI_WINDOW_POVEY,
  LSTM_KALDI_WINDOW_RECTANGULAR,
  LSTM_KALDI_WINDOW_BLACKMAN,
} LstmKaldiWindow;

/* torch window functions (MelSpectrogram's window_fn) */
typedef enum {
  LSTM_TORCH_WINDOW_HANN,
  LSTM_TORCH_WINDOW_HAMMING,
  LSTM_TORCH_WINDOW_BLACKMAN,
  LSTM_TORCH_WINDOW_BARTLETT,
} LstmTorchWindow;

typedef enum {
  LSTM_PAD_REFLECT,
  LSTM_PAD_CONSTANT,
  LSTM_PAD_REPLICATE,
} LstmPadMode;

typedef enum {
  LSTM_SPEC_NORM_NONE,
  LSTM_SPEC_NORM_WINDOW,        /* normalized=True or "window" */
  LSTM_SPEC_NORM_FRAME_LENGTH,  /* normalized="frame_length" */
} LstmSpecNorm;

typedef enum {
  LSTM_LOG_NONE,
  LSTM_LOG_NATURAL,
  LSTM_LOG_DB,
} LstmLogKind;

/* Every parameter of a configuration, defaults filled in. Fields are
 * named after torchaudio's arguments. */
typedef struct {
  LstmFeaturesKind kind;
  guint rate;                   /* sample_frequency / sample_rate, Hz */
  double waveform_scale;
  gint channel;                 /* -1: average the channels */
  guint deltas;                 /* 0, 1 (deltas) or 2 (+ delta-deltas) */
  guint delta_win_length;

  /* fbank, mfcc (torchaudio.compliance.kaldi) */
  double blackman_coeff;
  double energy_floor;
  double frame_length;          /* ms */
  double frame_shift;           /* ms */
  double high_freq;
  gboolean htk_compat;
  double low_freq;
  guint num_mel_bins;
  double preemphasis_coefficient;
  gboolean raw_energy;
  gboolean remove_dc_offset;
  gboolean round_to_power_of_two;
  gboolean use_energy;
  gboolean use_log_fbank;
  gboolean use_power;
  double vtln_high;
  double vtln_low;
  double vtln_warp;
  LstmKaldiWindow window_type;
  double cepstral_lifter;       /* mfcc */
  guint num_ceps;               /* mfcc */

  /* melspec (torchaudio.transforms.MelSpectrogram) and raw */
  guint n_fft;
  guint win_length;
  guint hop_length;
  double f_min;
  double f_max;
  guint pad;
  guint n_mels;
  LstmTorchWindow window_fn;
  gboolean periodic;            /* wkwargs {"periodic": ...} */
  double power;
  LstmSpecNorm normalized;
  gboolean center;
  LstmPadMode pad_mode;
  gboolean norm_slaney;         /* norm: null or "slaney" */
  gboolean mel_scale_slaney;    /* mel_scale: "htk" or "slaney" */
  LstmLogKind log;
  double log_floor;
  gboolean stype_magnitude;     /* stype: "power" (10 log10) or "magnitude" */
} LstmFeaturesConfig;

/* features-config.c */
gboolean lstm_features_config_parse (const gchar *json, const gchar *where,
    LstmFeaturesConfig *cfg, GError **error);
gchar *lstm_features_config_to_json (const LstmFeaturesConfig *cfg);
/* Kaldi's window size and shift in samples (truncated as torchaudio does) */
guint lstm_kaldi_window_size (const LstmFeaturesConfig *cfg);
guint lstm_kaldi_window_shift (const LstmFeaturesConfig *cfg);
guint lstm_kaldi_padded_size (const LstmFeaturesConfig *cfg);

/* features-window.c: windows as float32, computed in double and rounded */
void lstm_kaldi_window_fill (LstmKaldiWindow type, double blackman_coeff,
    guint size, float *out);
void lstm_torch_window_fill (LstmTorchWindow type, gboolean periodic,
    guint size, float *out);

/* Two floats and two doubles as GCC/clang vectors (16-byte vectors: kept
 * in registers by the baseline x86-64 build, where 32-byte ones live in
 * memory): the partial sums in double of features-fbank.c and
 * features-mel.c, four of them as two of these. */
typedef float LstmV2sf __attribute__ ((vector_size (8)));
typedef double LstmV2df __attribute__ ((vector_size (16)));

/* (double) p[0], (double) p[1] */
static inline LstmV2df
lstm_v2df_load (const float *p)
{
  LstmV2sf v;

  memcpy (&v, p, sizeof v);
  return __builtin_convertvector (v, LstmV2df);
}

/* features-mel.c: triangular filters, stored sparsely */
typedef struct {
  guint n_filters;
  guint *first;                 /* (n_filters) first FFT bin with a weight */
  guint *count;                 /* (n_filters) bins in the filter's range */
  gsize *offset;                /* (n_filters) start in @weights */
  float *weights;
} LstmMelBank;

gboolean lstm_mel_bank_init_kaldi (LstmMelBank *bank,
    const LstmFeaturesConfig *cfg, guint padded_size, GError **error);
gboolean lstm_mel_bank_init_torch (LstmMelBank *bank,
    const LstmFeaturesConfig *cfg, GError **error);
void lstm_mel_bank_clear (LstmMelBank *bank);
/* out[m] = sum_k spec[k] * w[m][k], accumulated in double in bin order */
void lstm_mel_bank_apply (const LstmMelBank *bank, const float *spec,
    float *out);

/* Sizes whose prime factors are all at most this go to our own FFT
 * (features-fft.c: radix 2, 3, 4 and 5 stages); others go through
 * Bluestein's algorithm (kissfft's power-of-2 FFTs inside): O(n log n) for
 * any size. For even n the factor that counts is n / 2's. */
#define LSTM_FFT_MAX_DIRECT_FACTOR 5
#define LSTM_FFT_MAX_STAGES 48
/* Vector lanes of the four-step path: one complex FFT of m = 8 n1 points
 * as 8 interleaved n1-point FFTs, then 8-point DFTs across the lanes. */
#define LSTM_FFT_LANES 8

/* One Stockham stage (features-fft-stages.h): radix @p on sub-transforms
 * of @n points at stride @s; twiddles W_n^(j q) at [q (p - 1) + j - 1]. */
typedef struct {
  guint p;
  guint n;
  guint s;
  float *twr;
  float *twi;
} LstmFftStage;

typedef struct _LstmFftPlan LstmFftPlan;
/* Forward, unnormalised: @in (n real values) -> bins 0..n/2 in @re, @im */
typedef void (*LstmFftRunFunc) (const LstmFftPlan *plan, const float *in,
    float *re, float *im);

/* A real-input FFT of n points whose factors are 2, 3 and 5. Even n: a
 * complex FFT of m = n / 2 points on z[j] = x[2j] + i x[2j + 1], then the
 * split into the n-point spectrum; odd n: a complex FFT of m = n points.
 * The complex FFT runs on LSTM_FFT_LANES lanes (the four-step form) when
 * m is a multiple of 8 and a vector variant was chosen, else in scalar
 * code (lanes = 1). All scratch is allocated once, in the plan. */
struct _LstmFftPlan {
  guint n;
  guint m;
  guint lanes;
  guint n1;                     /* m / lanes: the length the stages run */
  guint n_stages;
  LstmFftStage stages[LSTM_FFT_MAX_STAGES];
  float *row_twr;               /* lanes > 1: (n1, 8) W_m^(n2 k1) */
  float *row_twi;
  float *split_twr;             /* even n: (m + 1) -i W_n^k / 2 */
  float *split_twi;
  float *work;                  /* aligned, 4 m floats: two complex arrays */
  float *zr;                    /* (m + 1): the complex FFT, z[m] = z[0] */
  float *zi;
  const gchar *variant;         /* "scalar", "generic", "avx2", "avx512" */
  LstmFftRunFunc run;
};

/* Creates the plan for @n with kernel variant @variant (NULL: the
 * LSTM_FFT_KERNELS environment variable, else avx512 or avx2 where the CPU
 * runs them, else scalar; the vector variants need n / 2 to be a multiple
 * of 8, other sizes run the scalar code whatever the variant).
 * Returns NULL (with @error set) for a size it does not handle (a prime
 * factor above 5) or an unknown or unsupported variant. */
LstmFftPlan *lstm_fft_plan_new (guint n, const gchar *variant,
    GError **error);
void lstm_fft_plan_free (LstmFftPlan *plan);
/* The variants this CPU runs, NULL-terminated (static). */
const gchar *const *lstm_fft_variants (void);

/* Per-variant entry points of the lanes = 8 path (features-fft-simd.c) */
void lstm_fft_run_generic (const LstmFftPlan *plan, const float *in,
    float *re, float *im);
void lstm_fft_run_avx2 (const LstmFftPlan *plan, const float *in,
    float *re, float *im);
void lstm_fft_run_avx512 (const LstmFftPlan *plan, const float *in,
    float *re, float *im);

/* The FFT of one frame: our plan for sizes with small factors, Bluestein
 * (a convolution by kissfft power-of-2 FFTs) for the others; scratch sized
 * once. The spectrum is split: bins 0..n/2 in re and im. */
typedef struct {
  guint n;
  LstmFftPlan *plan;            /* NULL: Bluestein */
  float *re;                    /* (n / 2 + 1) */
  float *im;                    /* (n / 2 + 1) */
  /* Bluestein: a convolution by FFTs of size m (a power of 2 >= 2n - 1) */
  guint m;                      /* 0: not used */
  kiss_fft_cfg bs_fwd;
  kiss_fft_cfg bs_inv;
  kiss_fft_cpx *bs_chirp;       /* (n) exp(-i pi j^2 / n) */
  kiss_fft_cpx *bs_filter;      /* (m) FFT of the conjugate chirp, / m */
  kiss_fft_cpx *bs_a;           /* (m) scratch */
  kiss_fft_cpx *bs_b;           /* (m) scratch */
} LstmFeaturesFft;

/* The largest prime factor of @n (1 for n <= 1). */
guint lstm_fft_largest_prime_factor (guint n);

gboolean lstm_features_fft_init (LstmFeaturesFft *fft, guint n,
    GError **error);
/* The same with a given FFT variant (NULL: as lstm_features_fft_init).
 * Fails (@error set) for a variant this CPU does not run, whatever the
 * size (Bluestein's sizes do not use it). */
gboolean lstm_features_fft_init_variant (LstmFeaturesFft *fft, guint n,
    const gchar *variant, GError **error);
void lstm_features_fft_clear (LstmFeaturesFft *fft);
/* Forward, unnormalised: @in (n real values) -> fft->re, fft->im [0..n/2] */
void lstm_features_fft_run (LstmFeaturesFft *fft, const float *in);

/* features-fbank.c and features-mfcc.c: Kaldi features of one window */
typedef struct {
  guint window_size;
  guint padded_size;
  float *window;                /* (window_size) */
  float *work;                  /* (padded_size) */
  float *spec;                  /* (padded_size / 2 + 1) */
  float *mel;                   /* (num_mel_bins) */
  LstmFeaturesFft fft;
  LstmMelBank bank;
  float *dct;                   /* mfcc: (num_mel_bins, num_ceps) */
  float *lifter;                /* mfcc: (num_ceps) */
  float log_energy_floor;       /* log(energy_floor), or -inf for 0 */
} LstmKaldiFrame;

gboolean lstm_kaldi_frame_init (LstmKaldiFrame *kf,
    const LstmFeaturesConfig *cfg, GError **error);
void lstm_kaldi_frame_clear (LstmKaldiFrame *kf);
guint lstm_fbank_size (const LstmFeaturesConfig *cfg);
void lstm_fbank_compute (LstmKaldiFrame *kf, const LstmFeaturesConfig *cfg,
    const float *samples, float *out);
/* Log mel energies (use_log_fbank, use_power) into kf->mel; returns the
 * signal log energy. */
float lstm_kaldi_log_mel (LstmKaldiFrame *kf, const LstmFeaturesConfig *cfg,
    const float *samples, gboolean log_power);
gboolean lstm_mfcc_init (LstmKaldiFrame *kf, const LstmFeaturesConfig *cfg,
    GError **error);
void lstm_mfcc_compute (LstmKaldiFrame *kf, const LstmFeaturesConfig *cfg,
    const float *samples, float *out);

/* features-mfcc.c: torchaudio.functional.compute_deltas over a stream */
typedef struct {
  guint order;                  /* 1 or 2 */
  guint half;                   /* (win_length - 1) / 2 */
  float denom;
  guint dim;                    /* values per base frame */
  guint ring;                   /* 2 * half + 1 */
  float *c;                     /* (ring, dim) base frames */
  float *d;                     /* (ring, dim) deltas (order 2) */
  guint64 n_c;                  /* base frames pushed since reset */
  guint64 n_d;                  /* deltas computed since reset */
} LstmDeltas;

void lstm_deltas_init (LstmDeltas *dl, guint order, guint win_length,
    guint dim);
void lstm_deltas_clear (LstmDeltas *dl);
void lstm_deltas_reset (LstmDeltas *dl);
/* Pushes one base frame; writes the rows it completes (order + 1 times
 * dim values each) to @out and returns how many (0 or 1). */
guint lstm_deltas_push (LstmDeltas *dl, const float *frame, float *out);
/* End of stream: the rows waiting for look-ahead, edges replicated. */
guint lstm_deltas_flush (LstmDeltas *dl, float *out);

/* features-melspec.c: MelSpectrogram of one n_fft window */
typedef struct {
  float *window;                /* (n_fft): win_length window, centred */
  float *work;                  /* (n_fft) */
  float *spec;                  /* (n_fft / 2 + 1) */
  float scale;                  /* normalisation of the complex spectrum */
  LstmFeaturesFft fft;
  LstmMelBank bank;
} LstmMelspecFrame;

gboolean lstm_melspec_frame_init (LstmMelspecFrame *mf,
    const LstmFeaturesConfig *cfg, GError **error);
void lstm_melspec_frame_clear (LstmMelspecFrame *mf);
void lstm_melspec_compute (LstmMelspecFrame *mf,
    const LstmFeaturesConfig *cfg, const float *samples, float *out);

G_END_DECLS
