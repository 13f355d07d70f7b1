package org.dumm.test;

/**
 * How a run goes.
 *
 * @param guestPrefix prefixed to a scenario's host names to get the guest ({@code ""}: host {@code moon} is guest {@code moon})
 * @param verbose     report every command on the progress consumer
 * @param stopOnFail  skip the remaining scenarios after the first that failed
 */
public record RunOptions(String guestPrefix, boolean verbose, boolean stopOnFail) {
    public RunOptions {
        guestPrefix = guestPrefix == null ? "" : guestPrefix;
    }

    /** Defaults: no prefix, quiet, every scenario run. */
    public static RunOptions defaults() {
        return new RunOptions("", false, false);
    }
}
