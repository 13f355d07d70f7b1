package org.dumm.nativ;

import java.util.BitSet;

import jnr.ffi.Pointer;

/**
 * CPU affinity of a thread or process (sched_getaffinity(2) / sched_setaffinity(2)). A new
 * process inherits the mask of the thread that created it, so setting it on a spawning thread
 * places everything the child later forks as well.
 */
public final class CpuAffinity {

    /** Bytes of the cpu_set_t passed to the kernel: room for 4096 CPUs. */
    private static final int MASK_BYTES = 512;

    private CpuAffinity() {
    }

    /** CPUs {@code pid} may run on; pid 0 is the calling thread. */
    public static BitSet of(int pid) {
        Pointer mask = Native.allocate(MASK_BYTES);
        // glibc returns 0 and zeroes the bytes beyond the kernel's own mask
        Native.check(Native.libc().sched_getaffinity(pid, MASK_BYTES, mask), "sched_getaffinity(" + pid + ")");
        byte[] bytes = new byte[MASK_BYTES];
        mask.get(0, bytes, 0, MASK_BYTES);
        return BitSet.valueOf(bytes);
    }

    /** Restricts {@code pid} (0: the calling thread) to {@code cpus}. */
    public static void set(int pid, BitSet cpus) {
        byte[] bytes = cpus.toByteArray();
        if (bytes.length == 0 || bytes.length > MASK_BYTES) {
            throw new IllegalArgumentException("CPU set " + cpus + " is empty or too large");
        }
        Pointer mask = Native.allocate(MASK_BYTES);
        mask.put(0, bytes, 0, bytes.length);
        Native.check(Native.libc().sched_setaffinity(pid, MASK_BYTES, mask), "sched_setaffinity(" + pid + ", " + cpus + ")");
    }
}
