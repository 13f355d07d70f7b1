package org.dumm.test;

/**
 * How a run goes.
 *
 * @param guestPrefix prefixed to a scenario's host names to get the guest ({@code ""}: host {@code moon} is guest {@code moon})
 * @param verbose     report every command on the progress consumer
 * @param stopOnFail  skip the remaining scenarios after the first that failed
 * @param ipsecLeftovers an implicit check after posttest: no IPsec SA or policy left ({@code ip xfrm}) on IPSECHOSTS
 */
public record RunOptions(String guestPrefix, boolean verbose, boolean stopOnFail, boolean ipsecLeftovers) {
    public RunOptions {
        guestPrefix = guestPrefix == null ? "" : guestPrefix;
    }

    /** Defaults: no prefix, quiet, every scenario run, the IPsec leftover check on. */
    public static RunOptions defaults() {
        return new RunOptions("", false, false, true);
    }
}
