package org.dumm.lab.internal;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Names;

/**
 * Names a lab gives on the mesh. Guests are {@code <lab>-<dev>}; a collision domain's segment is
 * {@code <lab>-<cd>} when that is a valid host interface name (≤ 15 bytes, lower case), else a
 * short prefix of the lab's name and a hash of lab and CD: deterministic, and different for two
 * labs that use the same CD names.
 */
public final class LabNames {

    /** Lab names stay short so that {@code <lab>-<dev>} fits a guest name more often. */
    static final int MAX_LAB_NAME = 20;

    private LabNames() {
    }

    static String checkLab(String name) {
        return Names.check("lab", name, MAX_LAB_NAME);
    }

    /** LAB_NAME, else the directory's name, made a valid name. */
    static String labName(String labName, Path dir) {
        String raw = labName != null && !labName.isBlank() ? labName
                : dir.toAbsolutePath().normalize().getFileName().toString();
        StringBuilder b = new StringBuilder();
        for (char c : raw.toLowerCase(Locale.ROOT).toCharArray()) {
            b.append(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' ? c : '-');
        }
        String s = b.toString().replaceAll("-+", "-").replaceAll("^[-_]+|[-_]+$", "");
        if (s.isEmpty() || s.charAt(0) < 'a' || s.charAt(0) > 'z') {
            s = "lab" + s;
        }
        if (s.length() > MAX_LAB_NAME) {
            s = s.substring(0, MAX_LAB_NAME).replaceAll("[-_]+$", "");
        }
        return checkLab(s);
    }

    /** {@code <prefix>-<device>}, or the device's own name with no prefix. */
    static String guest(String prefix, String device) {
        String name = prefix.isEmpty() ? device : prefix + "-" + device;
        if (name.length() > Names.MAX_NAME_LENGTH) {
            throw new DummException(Reason.INVALID_ARGUMENT, "guest name " + name + " of device " + device + " is "
                    + name.length() + " bytes, at most " + Names.MAX_NAME_LENGTH + ": use a shorter --name or prefix");
        }
        return Names.check("guest", name);
    }

    /**
     * The bridge of a collision domain: {@code <prefix>-<cd>} (just {@code <cd>} with no prefix)
     * when that is a valid interface name, else a short part of the prefix (or lab name) and a
     * hash of lab and CD.
     */
    static String segment(String prefix, String lab, String cd) {
        String plain = prefix.isEmpty() ? cd : prefix + "-" + cd;
        if (plain.length() <= Names.MAX_IFNAME_BYTES && plain.equals(plain.toLowerCase(Locale.ROOT))
                && plain.matches("[a-z][a-z0-9_-]*")) {
            return plain;
        }
        String base = prefix.isEmpty() ? lab : prefix;
        String head = (base.length() > 5 ? base.substring(0, 5) : base).replaceAll("[-_]+$", "");
        return head + "-" + hash(lab + "/" + cd);
    }

    /** A YAML lab's {@code prefix}: empty, or a valid start of names. */
    static String checkPrefix(String prefix) {
        return prefix.isEmpty() ? prefix : Names.check("prefix", prefix, MAX_LAB_NAME);
    }

    private static String hash(String s) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d).substring(0, 8);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
