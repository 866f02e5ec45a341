package io.hydragen.model;

import java.util.Arrays;

/**
 * A tensor a checkpoint must hold: its Hugging Face name and shape (row-major, PyTorch Linear weights as
 * {@code [out, in]}).
 */
public record TensorSpec(String name, int[] shape) {

    public long numel() {
        long n = 1;
        for (int d : shape) n *= d;
        return n;
    }

    public String shapeString() { return Arrays.toString(shape); }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorSpec t && t.name.equals(name) && Arrays.equals(t.shape, shape);
    }

    @Override
    public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override
    public String toString() { return name + shapeString(); }
}
