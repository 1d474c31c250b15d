// SPDX-License-Identifier: LGPL-2.1-or-later
// Builds Keras models with TensorFlow.js's Layers API (its LSTM, GRU, Dense
// and Bidirectional implement Keras's), saves each in the TF.js Layers
// format (NAME/model.json + NAME/weights.bin) with fixed input frames
// (NAME/input.f32) and TensorFlow.js's own outputs on them
// (NAME/expected.f32), and lists them in OUTDIR/models.json.
//
// Usage: node make_tfjs_models.js OUTDIR   (NODE_PATH: the installed modules)
'use strict';

const fs = require('fs');
const path = require('path');
const tf = require('@tensorflow/tfjs');

const FRAMES = 1000;

// Deterministic numbers: a 32-bit LCG, uniform in [-1, 1).
function lcg(seed) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2147483648 - 1;
  };
}

// Every model: [name, input size, layers(), accepted?, what a refusal names]
const SIG = {recurrentActivation: 'sigmoid', returnSequences: true};
const MODELS = [
  ['lstm-dense-softmax', 6, () => [
    tf.layers.lstm({units: 16, ...SIG, inputShape: [null, 6]}),
    tf.layers.dense({units: 4, activation: 'softmax'})], true],
  ['lstm-stack-relu', 5, () => [
    tf.layers.lstm({units: 12, ...SIG, inputShape: [null, 5]}),
    tf.layers.lstm({units: 8, ...SIG}),
    tf.layers.dense({units: 10, activation: 'relu'}),
    tf.layers.dense({units: 3})], true],
  ['bidirectional-lstm-tanh', 4, () => [
    tf.layers.bidirectional({layer: tf.layers.lstm({units: 7, ...SIG}),
                             mergeMode: 'concat', inputShape: [null, 4]}),
    tf.layers.dense({units: 5, activation: 'tanh'})], true],
  ['lstm-no-bias-dropout', 3, () => [
    tf.layers.lstm({units: 9, ...SIG, useBias: false, inputShape: [null, 3]}),
    tf.layers.dropout({rate: 0.5}),
    tf.layers.dense({units: 2, activation: 'sigmoid'})], true],
  ['dense-activation-lstm', 4, () => [
    tf.layers.dense({units: 8, inputShape: [null, 4]}),
    tf.layers.activation({activation: 'tanh'}),
    tf.layers.lstm({units: 6, ...SIG}),
    tf.layers.dense({units: 2})], true],
  ['lstm-time-distributed', 4, () => [
    tf.layers.lstm({units: 6, ...SIG, inputShape: [null, 4]}),
    tf.layers.timeDistributed({layer: tf.layers.dense({units: 3, activation: 'relu'})}),
    tf.layers.dense({units: 2, activation: 'sigmoid'})], true],
  ['functional-lstm-dense', 5, () => [
    tf.layers.lstm({units: 10, ...SIG}),
    tf.layers.dense({units: 3, activation: 'softmax'})], true],
  // TF.js's GRU is Keras's reset_after=False (the only form it builds):
  // liblstm's gru with "reset_after": false
  ['gru-reset-before', 4, () => [
    tf.layers.gru({units: 8, ...SIG, inputShape: [null, 4]}),
    tf.layers.dense({units: 2})], true],
  ['gru-stack-reset-before-relu', 5, () => [
    tf.layers.gru({units: 10, ...SIG, inputShape: [null, 5]}),
    tf.layers.gru({units: 10, ...SIG}),
    tf.layers.dense({units: 7, activation: 'relu'}),
    tf.layers.dense({units: 3, activation: 'softmax'})], true],
  ['bidirectional-gru-reset-before', 4, () => [
    tf.layers.bidirectional({layer: tf.layers.gru({units: 6, ...SIG}),
                             mergeMode: 'concat', inputShape: [null, 4]}),
    tf.layers.dense({units: 3, activation: 'tanh'})], true],
  ['gru-no-bias-reset-before', 3, () => [
    tf.layers.gru({units: 9, ...SIG, useBias: false, inputShape: [null, 3]}),
    tf.layers.dense({units: 2, activation: 'sigmoid'})], true],
  // refused: liblstm cannot compute these exactly
  ['gru-hard-sigmoid', 4, () => [
    tf.layers.gru({units: 8, returnSequences: true, inputShape: [null, 4]}),
    tf.layers.dense({units: 2})], false, 'hard_sigmoid'],
  ['lstm-hard-sigmoid', 4, () => [
    tf.layers.lstm({units: 8, returnSequences: true, inputShape: [null, 4]}),
    tf.layers.dense({units: 2})], false, 'hard_sigmoid'],
  ['double-activation', 4, () => [
    tf.layers.lstm({units: 8, ...SIG, inputShape: [null, 4]}),
    tf.layers.dense({units: 3, activation: 'tanh'}),
    tf.layers.activation({activation: 'sigmoid'})], false, 'activation'],
  ['masking', 4, () => [
    tf.layers.masking({maskValue: 0, inputShape: [null, 4]}),
    tf.layers.lstm({units: 8, ...SIG}),
    tf.layers.dense({units: 2})], false, 'Masking'],
  ['last-frame-only', 4, () => [
    tf.layers.lstm({units: 8, recurrentActivation: 'sigmoid', inputShape: [null, 4]}),
    tf.layers.dense({units: 2})], false, 'return_sequences'],
];

async function save(model, dir) {
  await model.save(tf.io.withSaveHandler(async (art) => {
    fs.writeFileSync(path.join(dir, 'weights.bin'), Buffer.from(art.weightData));
    const doc = {
      modelTopology: art.modelTopology,
      format: art.format || 'layers-model',
      generatedBy: art.generatedBy,
      convertedBy: art.convertedBy,
      weightsManifest: [{paths: ['weights.bin'], weights: art.weightSpecs}],
    };
    fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(doc));
    return {modelArtifactsInfo: {dateSaved: new Date(), modelTopologyType: 'JSON'}};
  }));
}

async function main() {
  const out = process.argv[2];
  const list = [];
  for (let m = 0; m < MODELS.length; m++) {
    const [name, size, layers, accepted, names] = MODELS[m];
    const dir = path.join(out, name);
    fs.mkdirSync(dir, {recursive: true});
    let model;
    if (name.startsWith('functional')) {
      // a functional chain: input -> layers in turn -> output
      const input = tf.input({shape: [null, size]});
      let t = input;
      for (const layer of layers()) t = layer.apply(t);
      model = tf.model({inputs: input, outputs: t});
    } else {
      model = tf.sequential({layers: layers()});
    }
    // weights from the seeded generator, so that every run builds the same
    // models; not gentle: matrices uniform in +-2/sqrt(fan-in) (twice the
    // usual range: saturated gates), biases in +-0.5
    const rand = lcg(1000 + m);
    model.setWeights(model.getWeights().map((w) => {
      const a = w.shape.length === 2 ? 2 / Math.sqrt(w.shape[0]) : 0.5;
      const v = new Float32Array(w.size);
      for (let i = 0; i < v.length; i++) v[i] = a * rand();
      return tf.tensor(v, w.shape);
    }));
    const x = new Float32Array(FRAMES * size);
    const r = lcg(m + 1);
    for (let i = 0; i < x.length; i++) x[i] = 3 * r();
    const y = model.predict(tf.tensor(x, [1, FRAMES, size]));
    const want = y.dataSync();
    fs.writeFileSync(path.join(dir, 'input.f32'), Buffer.from(x.buffer));
    fs.writeFileSync(path.join(dir, 'expected.f32'),
        Buffer.from(new Float32Array(want).buffer));
    await save(model, dir);
    list.push({name, input_size: size, output_size: y.shape[y.shape.length - 1],
               frames: y.shape.length === 3 ? y.shape[1] : 1,
               accepted, refusal: accepted ? null : names});
  }
  fs.writeFileSync(path.join(out, 'models.json'),
      JSON.stringify({tfjs: tf.version.tfjs, models: list}, null, 1));
}

main().catch((e) => { console.error(e); process.exit(1); });
