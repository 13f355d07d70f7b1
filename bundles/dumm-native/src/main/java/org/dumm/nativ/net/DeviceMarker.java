package org.dumm.nativ.net;

import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * How Dumm marks the host devices it creates, in state the kernel keeps (so it survives a crash
 * of Dumm): the interface alias starts with a prefix ({@code dumm:} then the owner text) and the
 * device sits in Dumm's device group. A device is Dumm's only when both hold; the scratch group
 * (group + 1) also counts, as devices pass through it on their way out (see {@link GroupDelete}).
 * Both settings are configurable so that tests never touch a running Dumm's devices.
 */
public final class DeviceMarker {

    /** Alias prefix used unless configured otherwise. */
    public static final String DEFAULT_ALIAS_PREFIX = "dumm:";
    /** Device group used unless configured otherwise ("DUMM" on a phone keypad). */
    public static final int DEFAULT_GROUP = 3866;

    private final String prefix;
    private final int group;

    /**
     * @param aliasPrefix non-empty, at most 64 bytes, no control characters
     * @param group       device group in 1 … 2^31-2 (0 is every device's default group)
     */
    public DeviceMarker(String aliasPrefix, int group) {
        if (aliasPrefix == null || aliasPrefix.isEmpty() || aliasPrefix.getBytes(StandardCharsets.UTF_8).length > 64
                || aliasPrefix.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException("alias prefix '" + aliasPrefix + "' must be 1-64 bytes of printable text");
        }
        if (group <= 0 || group == Integer.MAX_VALUE) {
            throw new IllegalArgumentException("device group " + group + " must be between 1 and " + (Integer.MAX_VALUE - 1));
        }
        this.prefix = aliasPrefix;
        this.group = group;
    }

    public static DeviceMarker defaults() {
        return new DeviceMarker(DEFAULT_ALIAS_PREFIX, DEFAULT_GROUP);
    }

    public String aliasPrefix() {
        return prefix;
    }

    /** The group Dumm's devices live in. */
    public int group() {
        return group;
    }

    /** The group devices are moved to right before a batched delete of that group. */
    public int scratchGroup() {
        return group + 1;
    }

    /**
     * The alias recording {@code owner}.
     *
     * @throws IllegalArgumentException when it would not fit the kernel's 255 bytes or holds
     *                                  control characters
     */
    public String alias(String owner) {
        String text = owner == null ? "" : owner;
        String alias = prefix + text;
        if (alias.getBytes(StandardCharsets.UTF_8).length > Netlink.IFALIAS_MAX || hasControl(text)) {
            throw new IllegalArgumentException("owner text '" + text + "' must be printable and at most "
                    + (Netlink.IFALIAS_MAX - prefix.length()) + " bytes");
        }
        return alias;
    }

    /** A loop, not a stream: this runs for every TAP made, on the connect's clock. */
    private static boolean hasControl(String text) {
        for (int i = 0; i < text.length(); i++) {
            if (Character.isISOControl(text.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    /** True when {@code link} carries this marker. */
    public boolean owns(Link link) {
        return link.alias() != null && link.alias().startsWith(prefix)
                && (link.group() == group || link.group() == scratchGroup());
    }

    /** The owner text of a marked device; empty when the device is not marked. */
    public Optional<String> owner(Link link) {
        return owns(link) ? Optional.of(link.alias().substring(prefix.length())) : Optional.empty();
    }

    @Override
    public String toString() {
        return "alias '" + prefix + "…', group " + group;
    }
}
