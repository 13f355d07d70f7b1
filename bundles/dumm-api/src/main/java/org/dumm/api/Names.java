package org.dumm.api;

import java.util.regex.Pattern;

/**
 * The naming rule shared by guests, bridges, interfaces, templates and masters
 * (DESIGN.md §5): {@code [a-z][a-z0-9_-]*}. This is part of the API's contract, so the rule and
 * its check live here rather than in each implementation.
 */
public final class Names {

    /** Linux allows 15 bytes for an interface name (IFNAMSIZ minus the terminating NUL). */
    public static final int MAX_IFNAME_BYTES = 15;

    /** Longest guest, template or master name: long enough for people, short enough for paths. */
    public static final int MAX_NAME_LENGTH = 32;

    /** Allowed form of every Dumm name. */
    public static final Pattern PATTERN = Pattern.compile("[a-z][a-z0-9_-]*");

    private Names() {
    }

    /**
     * Checks a name against {@link #PATTERN} and {@code maxLength}.
     *
     * @param kind      what is named, for the message ("guest", "bridge", …)
     * @param name      the name to check
     * @param maxLength the longest allowed length in bytes
     * @return the name, for chaining
     * @throws DummException INVALID_ARGUMENT with a message saying what is wrong
     */
    public static String check(String kind, String name, int maxLength) {
        if (name == null || name.isEmpty()) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT, kind + " name is empty");
        }
        if (name.contains("/") || name.contains("..")) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT,
                    kind + " name '" + name + "' must not contain '/' or '..'");
        }
        if (!followsPattern(name)) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT,
                    kind + " name '" + name + "' is invalid: use a lower-case letter, then lower-case letters, digits, '_' or '-'");
        }
        if (name.length() > maxLength) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT,
                    kind + " name '" + name + "' is " + name.length() + " bytes, at most " + maxLength + " allowed");
        }
        return name;
    }

    /**
     * {@link #PATTERN} as a loop: names are checked on every interface connect, at each layer,
     * mostly before the JIT has compiled the check, where a regular expression costs ~15-20 us.
     */
    private static boolean followsPattern(String name) {
        char first = name.charAt(0);
        if (first < 'a' || first > 'z') {
            return false;
        }
        for (int i = 1; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-')) {
                return false;
            }
        }
        return true;
    }

    /** Checks a guest, template or master name ({@link #MAX_NAME_LENGTH}). */
    public static String check(String kind, String name) {
        return check(kind, name, MAX_NAME_LENGTH);
    }

    /** Checks a name that becomes a host interface name as it is (bridges): at most 15 bytes. */
    public static String checkIfname(String kind, String name) {
        return check(kind, name, MAX_IFNAME_BYTES);
    }
}
