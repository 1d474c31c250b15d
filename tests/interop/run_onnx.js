// SPDX-License-Identifier: LGPL-2.1-or-later
// Runs ONNX models with ONNX Runtime (onnxruntime-node) for reference
// outputs. Reads a JSON list of jobs on argv[2]:
//   [{"model": "a.onnx", "input": "x.f32", "shape": [1, 1000, 6],
//     "output": "y.f32"}, ...]
// and writes each job's first output as raw float32.
'use strict';

const fs = require('fs');
const ort = require('onnxruntime-node');

async function main() {
  const jobs = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  for (const job of jobs) {
    const session = await ort.InferenceSession.create(job.model,
        {intraOpNumThreads: 1, interOpNumThreads: 1});
    const buf = fs.readFileSync(job.input);
    const x = new Float32Array(buf.buffer, buf.byteOffset, buf.length / 4);
    const feeds = {};
    feeds[session.inputNames[0]] = new ort.Tensor('float32', x, job.shape);
    const res = await session.run(feeds);
    const y = res[session.outputNames[0]];
    fs.writeFileSync(job.output, Buffer.from(new Float32Array(y.data).buffer));
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
