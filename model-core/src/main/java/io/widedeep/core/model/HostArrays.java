package io.widedeep.core.model;

import io.widedeep.core.spec.Activation;
import java.nio.Buffer;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element-wise work on ND4J arrays through their host buffers, in float32 or float64: cheaper than
 * an ND4J op per call for the MLP's small batches, and free of the ops' temporaries.
 */
final class HostArrays {
    private HostArrays() {}

    static void drawMask(INDArray mask, DataType dtype, double dropout, SplittableRandom rnd) {
        double keep = 1 - dropout;
        if (dtype == DataType.FLOAT) {
            FloatBuffer m = mask.data().asNioFloat();
            for (int i = 0, n = (int) mask.length(); i < n; i++) m.put(i, rnd.nextDouble() < keep ? (float) (1 / keep) : 0f);
        } else {
            DoubleBuffer m = mask.data().asNioDouble();
            for (int i = 0, n = (int) mask.length(); i < n; i++) m.put(i, rnd.nextDouble() < keep ? 1 / keep : 0);
        }
    }

    /** The activation in place, element by element (a batch's hidden layer: ~10^5 elements). */
    static void apply(INDArray a, DataType dtype, Activation activation) {
        if (dtype == DataType.FLOAT) {
            FloatBuffer f = a.data().asNioFloat();
            for (int i = 0, n = (int) a.length(); i < n; i++) f.put(i, (float) activation.apply(f.get(i)));
        } else {
            DoubleBuffer d = a.data().asNioDouble();
            for (int i = 0, n = (int) a.length(); i < n; i++) d.put(i, activation.apply(d.get(i)));
        }
    }

    /** delta *= activation'(pre), element by element. */
    static void multiplyByDerivative(INDArray delta, INDArray pre, DataType dtype, Activation activation) {
        if (dtype == DataType.FLOAT) {
            FloatBuffer d = delta.data().asNioFloat(), p = pre.data().asNioFloat();
            for (int i = 0, n = (int) delta.length(); i < n; i++) d.put(i, (float) (d.get(i) * activation.derivative(p.get(i))));
        } else {
            DoubleBuffer d = delta.data().asNioDouble(), p = pre.data().asNioDouble();
            for (int i = 0, n = (int) delta.length(); i < n; i++) d.put(i, d.get(i) * activation.derivative(p.get(i)));
        }
    }

    static void write(Buffer target, float[] src, int n, DataType dtype) {
        if (dtype == DataType.FLOAT) {
            ((FloatBuffer) target).put(0, src, 0, n);
        } else {
            for (int i = 0; i < n; i++) ((DoubleBuffer) target).put(i, src[i]);
        }
    }

    static void read(Buffer source, float[] dst, int n, DataType dtype) {
        if (dtype == DataType.FLOAT) {
            ((FloatBuffer) source).get(0, dst, 0, n);
        } else {
            for (int i = 0; i < n; i++) dst[i] = (float) ((DoubleBuffer) source).get(i);
        }
    }

    /** A float32 or float64 NIO view of the array's host buffer, as its data type is. */
    static Buffer view(INDArray a) {
        return a.dataType() == DataType.FLOAT ? a.data().asNioFloat() : a.data().asNioDouble();
    }

    /**
     * Adds {@code bias} to each row of {@code n / width} rows, then {@code activation} (null: none,
     * the output layer). One simple loop per case, so the JIT can vectorise it (a per-element choice
     * kept it scalar).
     */
    static void addBiasAndActivate(float[] host, float[] bias, int n, int width, Activation activation) {
        if (activation == null) {
            for (int i = 0; i < n; i += width) {
                for (int j = 0; j < width; j++) host[i + j] += bias[j];
            }
        } else if (activation == Activation.RELU) {
            for (int i = 0; i < n; i += width) {
                for (int j = 0; j < width; j++) host[i + j] = Math.max(host[i + j] + bias[j], 0f);
            }
        } else {
            for (int i = 0; i < n; i += width) {
                for (int j = 0; j < width; j++) host[i + j] = (float) activation.apply(host[i + j] + bias[j]);
            }
        }
    }

    /** The activation in place over {@code n} values of a heap array. */
    static void activate(float[] host, int n, Activation activation) {
        if (activation == Activation.RELU) {
            for (int i = 0; i < n; i++) host[i] = Math.max(host[i], 0f);
        } else {
            for (int i = 0; i < n; i++) host[i] = (float) activation.apply(host[i]);
        }
    }

    // one value or n values of a float32 or float64 host buffer, in double: layer normalisation's work arrays

    static double getDouble(Buffer b, int i) {
        return b instanceof FloatBuffer f ? f.get(i) : ((DoubleBuffer) b).get(i);
    }

    static void putDouble(Buffer b, int i, double v) {
        if (b instanceof FloatBuffer f) f.put(i, (float) v);
        else ((DoubleBuffer) b).put(i, v);
    }

    static void readDoubles(Buffer b, double[] dst, int n) {
        if (b instanceof FloatBuffer f) {
            for (int i = 0; i < n; i++) dst[i] = f.get(i);
        } else {
            ((DoubleBuffer) b).get(0, dst, 0, n);
        }
    }

    static void writeDoubles(Buffer b, double[] src, int n) {
        if (b instanceof FloatBuffer f) {
            for (int i = 0; i < n; i++) f.put(i, (float) src[i]);
        } else {
            ((DoubleBuffer) b).put(0, src, 0, n);
        }
    }
}
