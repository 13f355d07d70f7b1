package org.dumm.api;

import java.util.List;

/**
 * What a user asks for when creating a guest. {@code null} fields take the configured defaults
 * (Config Admin PID {@code org.dumm}).
 *
 * @param name      guest name, see {@link Names}
 * @param backend   backend name ({@code uml}); null for the default
 * @param kernel    kernel path; null for the default ({@code /usr/bin/linux.uml})
 * @param master    master name; null for the default master
 * @param memoryMb  guest memory in MiB; 0 for the default (64)
 * @param extraArgs extra kernel command-line arguments
 * @param modules   host directory of the kernel's modules, or {@code none}; null for the configured
 *                  default, else the one the backend finds for the kernel (Debian's:
 *                  /usr/lib/uml/modules/RELEASE)
 */
public record GuestDefinition(String name, String backend, String kernel, String master,
                              int memoryMb, List<String> extraArgs, String modules) {
    public GuestDefinition {
        extraArgs = extraArgs == null ? List.of() : List.copyOf(extraArgs);
    }

    /** A definition whose modules are found for its kernel. */
    public GuestDefinition(String name, String backend, String kernel, String master, int memoryMb,
                           List<String> extraArgs) {
        this(name, backend, kernel, master, memoryMb, extraArgs, null);
    }

    /** A definition with every optional field left to the defaults. */
    public static GuestDefinition named(String name) {
        return new GuestDefinition(name, null, null, null, 0, List.of());
    }
}
