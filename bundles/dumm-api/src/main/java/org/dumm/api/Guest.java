package org.dumm.api;

import java.time.Instant;
import java.util.List;

/**
 * A snapshot of a guest: its definition (with defaults resolved) and its current state.
 *
 * @param name       guest name
 * @param state      current state
 * @param backend    backend name
 * @param kernel     kernel path
 * @param master     master name
 * @param memoryMb   memory in MiB
 * @param extraArgs  extra kernel arguments
 * @param pid        host pid of the guest's kernel process, or 0 when not running
 * @param startedAt  when it was last started, or null
 * @param interfaces its interfaces
 * @param modules    the kernel modules it sees, or null when its kernel has none (or its backend is absent)
 * @param startup    how its startup (/etc/dumm/startup) went, or null before the first boot
 */
public record Guest(String name, GuestState state, String backend, String kernel, String master,
                    int memoryMb, List<String> extraArgs, long pid, Instant startedAt,
                    List<Iface> interfaces, KernelModules modules, Startup startup) {
    public Guest {
        extraArgs = List.copyOf(extraArgs);
        interfaces = List.copyOf(interfaces);
    }

    /** A snapshot without modules and startup information. */
    public Guest(String name, GuestState state, String backend, String kernel, String master, int memoryMb,
                 List<String> extraArgs, long pid, Instant startedAt, List<Iface> interfaces) {
        this(name, state, backend, kernel, master, memoryMb, extraArgs, pid, startedAt, interfaces, null, null);
    }
}
