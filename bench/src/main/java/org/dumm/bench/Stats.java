package org.dumm.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Samples in milliseconds and their order statistics (nearest rank, no interpolation). */
final class Stats {

    private final List<Double> samples = new ArrayList<>();

    void add(double millis) {
        samples.add(millis);
    }

    void addNanos(long nanos) {
        samples.add(nanos / 1e6);
    }

    /** The latest sample in milliseconds; NaN when empty. */
    double last() {
        return samples.isEmpty() ? Double.NaN : samples.get(samples.size() - 1);
    }

    int count() {
        return samples.size();
    }

    boolean isEmpty() {
        return samples.isEmpty();
    }

    /** The p-th percentile (0..100) by nearest rank; NaN when empty. */
    double percentile(double p) {
        if (samples.isEmpty()) {
            return Double.NaN;
        }
        List<Double> sorted = new ArrayList<>(samples);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100.0 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }

    double median() {
        return percentile(50);
    }

    double min() {
        return percentile(0);
    }

    double max() {
        return percentile(100);
    }

    double mean() {
        return samples.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    List<Double> samples() {
        return List.copyOf(samples);
    }

    /** Summary for the JSON report. */
    Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("n", samples.size());
        m.put("min_ms", round(min()));
        m.put("p50_ms", round(median()));
        m.put("p90_ms", round(percentile(90)));
        m.put("p99_ms", round(percentile(99)));
        m.put("max_ms", round(max()));
        m.put("mean_ms", round(mean()));
        m.put("samples_ms", samples.stream().map(Stats::round).toList());
        return m;
    }

    /** Three decimals; null for NaN, which JSON cannot hold. */
    static Double round(double v) {
        return Double.isNaN(v) || Double.isInfinite(v) ? null : Math.round(v * 1000) / 1000.0;
    }
}
