package org.dumm.api;

/**
 * Config Admin PID and property names of Dumm ({@code etc/org.dumm.cfg}).
 */
public final class DummConfig {
    private DummConfig() {
    }

    /** The configuration PID. */
    public static final String PID = "org.dumm";
    /** Working directory (default {@code ${karaf.data}/dumm}). */
    public static final String WORK_DIR = "workDir";
    /** Default kernel (default {@code /usr/bin/linux.uml}). */
    public static final String DEFAULT_KERNEL = "defaultKernel";
    /** Default master name (default {@code busybox}; built on first use). */
    public static final String DEFAULT_MASTER = "defaultMaster";
    /** Default guest memory in MiB (default 64: 32 panics in a few % of boots). */
    public static final String DEFAULT_MEMORY_MB = "defaultMemoryMb";
    /** Seconds a guest may take to boot before it counts as failed (default 60). */
    public static final String BOOT_TIMEOUT_SECONDS = "bootTimeoutSeconds";
    /** How many guests boot at once in a bulk start (default: 2 × cores). */
    public static final String START_CONCURRENCY = "startConcurrency";
    /** Interface alias prefix marking Dumm's host devices (default {@code dumm:}). */
    public static final String DEVICE_ALIAS_PREFIX = "deviceAliasPrefix";
    /** Device group of Dumm's host devices (default 3866; the next number is its scratch group). */
    public static final String DEVICE_GROUP = "deviceGroup";
}
