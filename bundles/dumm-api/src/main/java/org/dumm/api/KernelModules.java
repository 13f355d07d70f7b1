package org.dumm.api;

/**
 * The kernel modules a guest sees at {@code /lib/modules/<release>}, read-only, from a layer of
 * Dumm's shared by every guest of that kernel.
 *
 * @param release   the kernel's release ({@code uname -r} in the guest), e.g. {@code 6.1.176}
 * @param directory the host directory the modules come from, e.g. {@code /usr/lib/uml/modules/6.1.176}
 */
public record KernelModules(String release, String directory) {
}
