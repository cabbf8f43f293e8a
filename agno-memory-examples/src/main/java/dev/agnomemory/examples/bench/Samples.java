package dev.agnomemory.examples.bench;

import java.util.Arrays;

/** A growable list of measurements (nanoseconds, or any double) with percentiles. */
final class Samples {

    private double[] values = new double[64];
    private int size;

    void add(double v) {
        if (size == values.length) {
            values = Arrays.copyOf(values, size * 2);
        }
        values[size++] = v;
    }

    int size() {
        return size;
    }

    double median() {
        return percentile(50);
    }

    /** Linear interpolation between closest ranks; NaN when empty. */
    double percentile(double p) {
        if (size == 0) {
            return Double.NaN;
        }
        double[] sorted = sorted();
        double rank = p / 100.0 * (size - 1);
        int lo = (int) Math.floor(rank);
        int hi = (int) Math.ceil(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }

    /** @return the values, sorted ascending */
    double[] sorted() {
        double[] sorted = Arrays.copyOf(values, size);
        Arrays.sort(sorted);
        return sorted;
    }
}
