// Times a model under ONNX Runtime (onnxruntime-node, CPU) on the inputs
// make_models.py wrote: node ort.js MODEL_DIR RUNS THREADS [MODEL_FILE] -> JSON.
const fs = require('fs');
const path = require('path');
const ort = require('onnxruntime-node');

const [dir, runsArg, threadsArg, modelArg] = process.argv.slice(2);
const runs = Number(runsArg || 20), threads = Number(threadsArg || 1);
const types = {float32: [Float32Array, 'float32'], int64: [BigInt64Array, 'int64'],
               int32: [Int32Array, 'int32']};

(async () => {
  const session = await ort.InferenceSession.create(path.join(dir, modelArg || 'model.onnx'), {
    intraOpNumThreads: threads, interOpNumThreads: 1,
    executionMode: 'sequential', graphOptimizationLevel: 'all'});
  const feeds = {};
  for (const input of JSON.parse(fs.readFileSync(path.join(dir, 'inputs.json')))) {
    const [Kind, name] = types[input.dtype];
    const bytes = fs.readFileSync(path.join(dir, input.file));
    const data = new Kind(bytes.buffer, bytes.byteOffset, bytes.byteLength / Kind.BYTES_PER_ELEMENT);
    feeds[input.name] = new ort.Tensor(name, data, input.shape);
  }
  for (let i = 0; i < 3; ++i) await session.run(feeds);
  const times = [];
  for (let i = 0; i < runs; ++i) {
    const start = process.hrtime.bigint();
    await session.run(feeds);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  console.log(JSON.stringify({min_ms: times[0], median_ms: times[times.length >> 1],
                              max_ms: times[times.length - 1]}));
})().catch(e => { console.error(String(e)); process.exit(1); });
