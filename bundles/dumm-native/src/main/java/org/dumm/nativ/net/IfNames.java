package org.dumm.nativ.net;

import java.nio.charset.StandardCharsets;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Names;

/**
 * Checks host interface names before they reach the kernel, so the user reads what is wrong
 * instead of a bare EINVAL: Linux's own limits first (15 bytes, no '/', ':' or white space),
 * then Dumm's naming rule ({@link Names#PATTERN}).
 */
public final class IfNames {
    private IfNames() {
    }

    /**
     * @param kind what is named, for the message ("TAP", "bridge")
     * @return {@code name}
     * @throws DummException INVALID_ARGUMENT with a one-line reason
     */
    public static String check(String kind, String name) {
        if (name == null || name.isEmpty()) {
            throw invalid(kind + " name is empty");
        }
        int bytes = name.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > Names.MAX_IFNAME_BYTES) {
            throw invalid(kind + " name '" + name + "' is " + bytes + " bytes, Linux allows " + Names.MAX_IFNAME_BYTES);
        }
        if (name.equals(".") || name.equals("..")) {
            throw invalid(kind + " name '" + name + "' is reserved");
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (c == '/' || c == ':' || Character.isWhitespace(c) || Character.isISOControl(c)) {
                String what = c == '/' ? "'/'" : c == ':' ? "':'" : "white space or control characters";
                throw invalid(kind + " name '" + printable(name) + "' must not contain " + what);
            }
        }
        return Names.check(kind, name, Names.MAX_IFNAME_BYTES);
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        s.codePoints().forEach(cp -> {
            if (Character.isISOControl(cp) || (Character.isWhitespace(cp) && cp != ' ')) {
                b.append(String.format("\\u%04x", cp));
            } else {
                b.appendCodePoint(cp);
            }
        });
        return b.toString();
    }

    private static DummException invalid(String message) {
        return new DummException(Reason.INVALID_ARGUMENT, message);
    }
}
