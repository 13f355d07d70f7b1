package org.dumm.api.spi;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Everything a backend needs to boot one guest; made by the mesh from the guest's definition.
 *
 * @param name        guest name (also UML's umid)
 * @param kernel      kernel executable
 * @param root        mounted root directory (the guest's {@code union/})
 * @param runDir      directory for the backend's runtime files (sockets, pid, console log)
 * @param memoryMb    memory in MiB
 * @param extraArgs   extra kernel arguments
 * @param interfaces  interfaces to plug at boot
 * @param bootTimeout how long booting may take
 * @param nice        nice level of the guest process (0 = unchanged)
 */
public record GuestSpec(String name, Path kernel, Path root, Path runDir, int memoryMb,
                        List<String> extraArgs, List<InterfaceSpec> interfaces, Duration bootTimeout,
                        int nice) {
    public GuestSpec {
        extraArgs = List.copyOf(extraArgs);
        interfaces = List.copyOf(interfaces);
    }
}
