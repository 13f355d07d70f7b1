package org.dumm.api.spi;

import org.dumm.api.Transport;

/**
 * One guest interface as a backend plugs it.
 *
 * @param name      name inside the guest ({@code eth0}); UML takes the number from it
 * @param tap       existing host TAP device
 * @param mac       guest-side MAC, or null
 * @param transport transport
 */
public record InterfaceSpec(String name, String tap, String mac, Transport transport) {
}
