package org.dumm.core.internal;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.function.Predicate;
import java.util.regex.Pattern;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;
import org.dumm.api.Names;

/** Host-side names and addresses derived from guest and interface names. */
final class HostNames {


    private HostNames() {
    }

    static String checkIface(String iface) {
        if (!isEthN(iface)) {
            throw new DummException(Reason.INVALID_ARGUMENT,
                    "interface name '" + iface + "' is invalid: use eth0 … eth99");
        }
        return iface;
    }

    /** UML numbers its interfaces: the guest name of an interface must be eth0 … eth99 (a loop: on every connect). */
    private static boolean isEthN(String iface) {
        if (iface == null || !iface.startsWith("eth") || iface.length() < 4 || iface.length() > 5) {
            return false;
        }
        for (int k = 3; k < iface.length(); k++) {
            char c = iface.charAt(k);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return iface.length() == 4 || iface.charAt(3) != '0';
    }

    /**
     * The host TAP name of a guest interface: {@code guest-iface} when it fits in 15 bytes,
     * otherwise {@code d} + the first letters of the guest + a hash, so it stays stable across
     * restarts and distinct between guests that share a long prefix. {@code taken} is asked only
     * about the names tried (usually just the plain one).
     */
    static String tapName(String guest, String iface, Predicate<String> taken) {
        String plain = guest + "-" + iface;
        if (plain.length() <= Names.MAX_IFNAME_BYTES && !taken.test(plain)) {
            return plain;
        }
        String hash = sha1Hex(guest + "/" + iface);
        String prefix = guest.substring(0, Math.min(4, guest.length()));
        for (int offset = 0; offset + 8 <= hash.length(); offset++) {
            String candidate = "d" + prefix + "-" + hash.substring(offset, offset + 15 - 2 - prefix.length());
            if (!taken.test(candidate)) {
                return candidate;
            }
        }
        throw new DummException(Reason.HOST_ERROR, "no free TAP name for " + guest + "/" + iface);
    }

    /**
     * A stable, locally administered unicast MAC derived from guest and interface names: 52:54
     * and 32 bits of a 64-bit FNV-1a hash, mixed. Not SHA-1 (as up to 0.1.0-SNAPSHOT of
     * 2026-11-29): it runs on every interface connect, mostly before the JIT has compiled it,
     * and interpreted SHA-1 cost ~0.1-0.3 ms of a ~5 ms connect. Interfaces keep the MAC stored
     * with their definition; only new ones get the new kind.
     */
    static String mac(String guest, String iface) {
        long h = 0xcbf29ce484222325L;
        String key = guest + "/" + iface;
        for (int i = 0; i < key.length(); i++) {
            h = (h ^ key.charAt(i)) * 0x100000001b3L;
        }
        // a finaliser, so that names differing only in their last character differ in every byte
        h = (h ^ (h >>> 33)) * 0xff51afd7ed558ccdL;
        h = (h ^ (h >>> 33)) * 0xc4ceb9fe1a85ec53L;
        h ^= h >>> 33;
        StringBuilder sb = new StringBuilder(17).append("52:54");
        for (int shift = 24; shift >= 0; shift -= 8) {
            int b = (int) (h >>> shift) & 0xff;
            sb.append(':').append(HEX[b >> 4]).append(HEX[b & 15]);
        }
        return sb.toString();
    }

    private static final char[] HEX = "0123456789abcdef".toCharArray();

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
