package org.dumm.bench;

import java.util.Arrays;
import java.util.Optional;

import org.dumm.bench.BenchReport.Row;

/**
 * One measurement of the bench, Dumm against the bare baseline: a class of its own, registered
 * in {@link Bench}'s list. It runs as a phase of its own: its load and time go to report.json's
 * {@code context}, and the guests it leaves (after a failure) are deleted before the next one.
 */
interface BenchItem {

    /**
     * The item's number in the report, or numbers joined by {@code +} when one phase measures
     * several on the same guests ("3+4"); each of them selects the item with {@code --only}.
     */
    String id();

    /** Adds the item's rows and its report.json section; a failure becomes an "error" row. */
    void run(BenchContext ctx) throws Exception;

    /** Whether {@code --only} asks for the item (or for one of the numbers it measures). */
    default boolean selected(BenchOptions opt) {
        return Arrays.stream(id().split("\\+")).anyMatch(opt::wants);
    }

    /** The row that stands for the item when these options turn it off; empty when it runs. */
    default Optional<Row> skipped(BenchOptions opt) {
        return Optional.empty();
    }
}
