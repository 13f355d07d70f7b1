package org.dumm.core.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;
import java.util.regex.Pattern;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Names;

/** Host-side names and addresses derived from guest and interface names. */
final class HostNames {

    /** UML numbers its interfaces: the guest name of an interface must be ethN. */
    static final Pattern IFACE = Pattern.compile("eth([0-9]|[1-9][0-9])");

    private HostNames() {
    }

    static String checkIface(String iface) {
        if (iface == null || !IFACE.matcher(iface).matches()) {
            throw new DummException(Reason.INVALID_ARGUMENT,
                    "interface name '" + iface + "' is invalid: use eth0 … eth99");
        }
        return iface;
    }

    /**
     * The host TAP name of a guest interface: {@code guest-iface} when it fits in 15 bytes,
     * otherwise {@code d} + the first letters of the guest + a hash, so it stays stable across
     * restarts and distinct between guests that share a long prefix.
     */
    static String tapName(String guest, String iface, Set<String> taken) {
        String plain = guest + "-" + iface;
        if (plain.length() <= Names.MAX_IFNAME_BYTES && !taken.contains(plain)) {
            return plain;
        }
        String hash = sha1Hex(guest + "/" + iface);
        String prefix = guest.substring(0, Math.min(4, guest.length()));
        for (int offset = 0; offset + 8 <= hash.length(); offset++) {
            String candidate = "d" + prefix + "-" + hash.substring(offset, offset + 15 - 2 - prefix.length());
            if (!taken.contains(candidate)) {
                return candidate;
            }
        }
        throw new DummException(Reason.HOST_ERROR, "no free TAP name for " + guest + "/" + iface);
    }

    /** A stable, locally administered unicast MAC derived from guest and interface names. */
    static String mac(String guest, String iface) {
        String hash = sha1Hex("mac/" + guest + "/" + iface);
        StringBuilder sb = new StringBuilder("52:54");
        for (int i = 0; i < 4; i++) {
            sb.append(':').append(hash, 2 * i, 2 * i + 2);
        }
        return sb.toString();
    }

    private static final Pattern MAC = Pattern.compile("[0-9a-f]{2}(:[0-9a-f]{2}){5}");

    static String checkMac(String mac) {
        String m = mac.toLowerCase();
        if (!MAC.matcher(m).matches()) {
            throw new DummException(Reason.INVALID_ARGUMENT, "MAC '" + mac + "' is invalid: use aa:bb:cc:dd:ee:ff");
        }
        int first = Integer.parseInt(m.substring(0, 2), 16);
        if ((first & 1) != 0) {
            throw new DummException(Reason.INVALID_ARGUMENT, "MAC '" + mac + "' is a multicast address");
        }
        if (m.equals("00:00:00:00:00:00")) {
            throw new DummException(Reason.INVALID_ARGUMENT, "MAC '" + mac + "' is all zeros");
        }
        return m;
    }

    private static String sha1Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-1").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
