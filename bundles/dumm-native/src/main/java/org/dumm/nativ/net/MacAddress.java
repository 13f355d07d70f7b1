package org.dumm.nativ.net;

import java.util.HexFormat;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

/** Ethernet addresses: parsing with a clear error, and the lower-case colon form. */
public final class MacAddress {
    private MacAddress() {
    }

    /**
     * Parses {@code aa:bb:cc:dd:ee:ff}. A device address must be unicast and not all zeros.
     *
     * @throws DummException INVALID_ARGUMENT
     */
    public static byte[] parse(String mac) {
        if (!isWellFormed(mac)) {
            throw new DummException(Reason.INVALID_ARGUMENT,
                    "MAC address '" + mac + "' is invalid: use six hex pairs like 52:54:00:12:34:56");
        }
        byte[] b = HexFormat.ofDelimiter(":").parseHex(mac);
        if ((b[0] & 1) != 0) {
            throw new DummException(Reason.INVALID_ARGUMENT,
                    "MAC address '" + mac + "' is a multicast address; a device needs a unicast one (even first byte)");
        }
        boolean zero = true;
        for (byte x : b) {
            zero &= x == 0;
        }
        if (zero) {
            throw new DummException(Reason.INVALID_ARGUMENT, "MAC address 00:00:00:00:00:00 is not a device address");
        }
        return b;
    }

    /**
     * Six colon-separated pairs of hex digits, either case. A loop, not a regular expression: a
     * hot-plug checks its MAC with it, mostly before the JIT has compiled the path, where a
     * match costs ~15-20 us interpreted.
     */
    public static boolean isWellFormed(String mac) {
        if (mac == null || mac.length() != 17) {
            return false;
        }
        for (int k = 0; k < 17; k++) {
            char c = mac.charAt(k);
            boolean ok = k % 3 == 2 ? c == ':'
                    : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Lower-case colon form of a 6-byte address. */
    public static String format(byte[] mac) {
        return HexFormat.ofDelimiter(":").formatHex(mac);
    }
}
