package org.dumm.api;

import java.util.List;

/**
 * A mesh segment: a Linux bridge on the host.
 *
 * @param name  bridge name (also the host device name)
 * @param ports host TAP names attached to it
 */
public record Bridge(String name, List<String> ports) {
    public Bridge {
        ports = List.copyOf(ports);
    }
}
