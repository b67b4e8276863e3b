// ONNX Runtime (npm's onnxruntime-node) on the files nn::export_onnx wrote (tests/onnx.sh): each
// DIR/NAME.onnx run on NAME.in, its outputs compared with predict's (NAME.out) within float
// rounding. Usage: node run_ort.js DIR (DIR/nn.txt lists the files, as onnx_tool writes it).
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

const EPSILON = { float: 2 ** -23, double: 2 ** -52 };

function numbers(path, type) {
    const bytes = fs.readFileSync(path);
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length);
    return type === 'float' ? new Float32Array(buffer) : new Float64Array(buffer);
}

async function main() {
    const dir = process.argv[2];
    let failed = 0, count = 0;
    for (const line of fs.readFileSync(`${dir}/nn.txt`, 'utf8').split('\n').filter((l) => l)) {
        const [name, type, rows, inputs, outputs] = line.split(' ');
        const session = await ort.InferenceSession.create(`${dir}/${name}.onnx`);
        const X = numbers(`${dir}/${name}.in`, type), want = numbers(`${dir}/${name}.out`, type);
        const input = new ort.Tensor(type === 'float' ? 'float32' : 'float64', X, [Number(rows), Number(inputs)]);
        const result = await session.run({ input });
        const got = result.output.data;
        const shape = result.output.dims.join('x');
        let worst = 0;
        for (let k = 0; k < want.length; ++k)
            worst = Math.max(worst, Math.abs(got[k] - want[k]) / Math.max(1, Math.abs(want[k])));
        // As onnx_tool's check of PyTorch's files: within 16 ulps of the type (2 seen here).
        const tolerance = 16 * EPSILON[type];
        const ok = got.length === want.length && shape === `${rows}x${outputs}` && worst <= tolerance;
        console.log(`${name.padEnd(40)} ${shape}, max |ort - nn| / max(1, |nn|) = ${worst.toPrecision(3)}` +
                    ` (tolerance ${tolerance.toPrecision(3)})${ok ? '' : '  FAILED'}`);
        failed += ok ? 0 : 1;
        ++count;
    }
    console.log(`ONNX Runtime ${require('onnxruntime-node/package.json').version}: ${count} files, ${failed} failed`);
    process.exit(failed || !count ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(1); });
