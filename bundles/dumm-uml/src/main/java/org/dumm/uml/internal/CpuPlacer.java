package org.dumm.uml.internal;

import java.util.BitSet;

import org.dumm.nativ.CpuAffinity;
import org.dumm.nativ.NativeException;

/**
 * Gives each guest one host CPU, the one with the fewest of this backend's guests.
 * <p>
 * Why: a UML guest is one CPU's worth of work spread over several host processes (its kernel and
 * one process per address space inside the guest) that hand control to each other through
 * ptrace thousands of times a second, and never run at the same time. Left to the host scheduler
 * they bounce between CPUs, and every hand-over to an idle CPU pays for a cross-CPU wake-up. On
 * one CPU a guest process fork+exit took 11.0 ms instead of 13.6 ms (bare linux.uml on a 2-CPU
 * host) and an exec through the agent 2.1-2.2 ms instead of 2.6-2.7 ms (p50); boots, now light
 * on processes, showed no difference. The CPUs offered are those the JVM itself may use, so a
 * cpuset or taskset around Dumm is respected.
 */
final class CpuPlacer {

    private final boolean enabled;
    private final BitSet allowed;
    private final int[] guests;

    CpuPlacer(boolean enabled) {
        BitSet mine = enabled ? CpuAffinity.of(0) : new BitSet();
        this.enabled = enabled && mine.cardinality() > 1;
        this.allowed = mine;
        this.guests = new int[Math.max(1, mine.length())];
    }

    boolean enabled() {
        return enabled;
    }

    /** The CPU for a new guest, counted as taken; -1 when placement is off. */
    synchronized int take() {
        if (!enabled) {
            return -1;
        }
        int best = -1;
        for (int cpu = allowed.nextSetBit(0); cpu >= 0; cpu = allowed.nextSetBit(cpu + 1)) {
            if (best < 0 || guests[cpu] < guests[best]) {
                best = cpu;
            }
        }
        guests[best]++;
        return best;
    }

    /**
     * Counts an adopted guest on the CPU it was pinned to; returns that CPU, or -1 when it runs
     * unpinned (started with placement off) or its mask cannot be read (it just died).
     */
    synchronized int adopt(int pid) {
        if (!enabled) {
            return -1;
        }
        try {
            BitSet mask = CpuAffinity.of(pid);
            int cpu = mask.nextSetBit(0);
            if (mask.cardinality() != 1 || !allowed.get(cpu)) {
                return -1;
            }
            guests[cpu]++;
            return cpu;
        } catch (NativeException e) {
            return -1;
        }
    }

    /** Forgets a guest counted by {@link #take} or {@link #adopt}. */
    synchronized void release(int cpu) {
        if (cpu >= 0 && cpu < guests.length && guests[cpu] > 0) {
            guests[cpu]--;
        }
    }
}
