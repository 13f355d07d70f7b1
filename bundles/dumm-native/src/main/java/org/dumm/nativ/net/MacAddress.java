package org.dumm.nativ.net;

import java.util.HexFormat;
import java.util.regex.Pattern;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

/** Ethernet addresses: parsing with a clear error, and the lower-case colon form. */
public final class MacAddress {
    private MacAddress() {
    }

    private static final Pattern FORM = Pattern.compile("[0-9a-fA-F]{2}(:[0-9a-fA-F]{2}){5}");

    /**
     * Parses {@code aa:bb:cc:dd:ee:ff}. A device address must be unicast and not all zeros.
     *
     * @throws DummException INVALID_ARGUMENT
     */
    public static byte[] parse(String mac) {
        if (mac == null || !FORM.matcher(mac).matches()) {
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

    /** Lower-case colon form of a 6-byte address. */
    public static String format(byte[] mac) {
        return HexFormat.ofDelimiter(":").formatHex(mac);
    }
}
