package org.dumm.api;

/**
 * A read-only master root filesystem shared by guests.
 *
 * @param name      master name
 * @param path      directory holding it
 * @param sizeBytes bytes used on disk
 * @param kind      how it was built ({@code busybox}, {@code debootstrap:bookworm}, {@code imported})
 */
public record Master(String name, String path, long sizeBytes, String kind) {
}
