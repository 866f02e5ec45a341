package io.hydragen.backend.cpu;

import java.nio.FloatBuffer;
import java.util.function.IntBinaryOperator;

/**
 * The element-wise steps of the forward pass, on row-major off-heap activations, spread over the worker threads by
 * rows (each row's arithmetic is the same whichever thread runs it).
 */
final class Ops {
    private static final VectorMath VM = VectorMath.INSTANCE;
    private final Parallel parallel;

    Ops(Parallel parallel) { this.parallel = parallel; }

    /**
     * Work of at most this many elements runs on the calling thread. Handing a task to the pool and waiting for it
     * costs tens of microseconds (a queue hand-off and a thread wake-up); a decode step's element-wise steps are a few
     * microseconds of arithmetic each (64 rows × 512: a residual, a norm, RoPE), and a step has dozens of them.
     */
    static final long INLINE_ELEMENTS = 1 << 16;

    /** Runs body(r0, r1) over row ranges covering [0, rows), on the workers when there is enough work to pay for it. */
    private void rows(int rows, int elementsPerRow, IntBinaryOperator body) {
        if ((long) rows * elementsPerRow <= INLINE_ELEMENTS) {
            body.applyAsInt(0, rows);
            return;
        }
        int chunks = Math.min(rows, parallel.threads() * 2);
        int step = (rows + chunks - 1) / Math.max(1, chunks);
        parallel.forEach(chunks, c -> {
            int r0 = c * step, r1 = Math.min(rows, r0 + step);
            if (r1 > r0) body.applyAsInt(r0, r1);
        });
    }

    void embed(WeightMatrix table, int[] tokens, OffHeap x, int hidden) {
        for (int r = 0; r < tokens.length; r++) table.row(tokens[r], x, r * hidden);
    }

    /** y = x / sqrt(mean(x²) + eps) · weight, per row (in place when x == y). */
    void rmsnorm(OffHeap x, OffHeap y, float[] weight, int rows, int dim, float eps) {
        rows(rows, dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) {
                float ss = VM.sumSquares(x.bytes, r * dim, dim);
                float inv = (float) (1.0 / Math.sqrt(ss / dim + eps));
                VM.scaleByWeights(x.bytes, r * dim, weight, inv, y.bytes, r * dim, dim);
            }
            return 0;
        });
    }

    void addBias(OffHeap y, float[] bias, int rows, int dim) {
        FloatBuffer f = y.floats;
        for (int r = 0; r < rows; r++) for (int i = 0; i < dim; i++) f.put(r * dim + i, f.get(r * dim + i) + bias[i]);
    }

    /** x += y over rows × dim. */
    void residual(OffHeap x, OffHeap y, int rows, int dim) {
        rows(rows, dim, (r0, r1) -> {
            VM.add(x.bytes, r0 * dim, y.bytes, r0 * dim, (r1 - r0) * dim);
            return 0;
        });
    }

    /** Copies the q columns out of the fused q|k|v rows. */
    void splitQ(OffHeap qkv, OffHeap q, int rows, int qkvDim, int qDim) {
        for (int r = 0; r < rows; r++) q.floats.put(r * qDim, qkv.floats, r * qkvDim, qDim);
    }

    /** out = silu(gate) · up, with gate|up fused per row. */
    void swiglu(OffHeap gateUp, OffHeap out, int rows, int dim) {
        rows(rows, 2 * dim, (r0, r1) -> {
            for (int r = r0; r < r1; r++) VM.siluMul(gateUp.bytes, r * 2 * dim, r * 2 * dim + dim, out.bytes, r * dim, dim);
            return 0;
        });
    }

    /** Runs a per-row-range task on the worker threads (for RoPE), or inline when rows × elementsPerRow is small. */
    void parallelRows(int rows, int elementsPerRow, IntBinaryOperator body) { rows(rows, elementsPerRow, body); }
}
