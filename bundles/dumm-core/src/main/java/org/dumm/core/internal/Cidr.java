package org.dumm.core.internal;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.regex.Pattern;

import org.dumm.api.DummException;
import org.dumm.api.DummException.Reason;

/** Validation and normalisation of an interface address in CIDR form, IPv4 or IPv6. */
final class Cidr {

    private static final Pattern V4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
    private static final Pattern V6 = Pattern.compile("[0-9a-fA-F:.]+");

    private Cidr() {
    }

    /** Returns the address in canonical form ({@code 10.1.0.1/16}, {@code fec1::1/64}). */
    static String normalize(String cidr) {
        String bad = "address '" + cidr + "' is not valid CIDR (e.g. 10.1.0.1/16 or fec1::1/64)";
        if (cidr == null) {
            throw new DummException(Reason.INVALID_ARGUMENT, bad);
        }
        int slash = cidr.indexOf('/');
        if (slash <= 0 || slash == cidr.length() - 1) {
            throw new DummException(Reason.INVALID_ARGUMENT, bad);
        }
        String host = cidr.substring(0, slash);
        String len = cidr.substring(slash + 1);
        boolean v4 = V4.matcher(host).matches();
        if (!v4 && !(host.contains(":") && V6.matcher(host).matches())) {
            throw new DummException(Reason.INVALID_ARGUMENT, bad);
        }
        if (v4) {
            for (String octet : host.split("\\.")) {
                if (Integer.parseInt(octet) > 255) {
                    throw new DummException(Reason.INVALID_ARGUMENT, bad);
                }
            }
        }
        int prefix;
        try {
            prefix = Integer.parseInt(len);
        } catch (NumberFormatException e) {
            throw new DummException(Reason.INVALID_ARGUMENT, bad);
        }
        InetAddress address;
        try {
            // Only literals reach here (checked above), so this never does a DNS lookup.
            address = InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new DummException(Reason.INVALID_ARGUMENT, bad);
        }
        int max = address instanceof Inet4Address ? 32 : 128;
        if (v4 != (address instanceof Inet4Address) || prefix < 0 || prefix > max) {
            throw new DummException(Reason.INVALID_ARGUMENT, bad);
        }
        String text = address.getHostAddress();
        if (!v4) {
            text = compressV6(text);
        }
        return text + "/" + prefix;
    }

    /** Java prints IPv6 uncompressed (0:0:…); compress the longest zero run like ip(8) shows it. */
    private static String compressV6(String full) {
        String[] parts = full.split(":");
        int bestStart = -1;
        int bestLen = 0;
        for (int i = 0; i < parts.length; ) {
            if (parts[i].equals("0")) {
                int j = i;
                while (j < parts.length && parts[j].equals("0")) {
                    j++;
                }
                if (j - i > bestLen && j - i > 1) {
                    bestStart = i;
                    bestLen = j - i;
                }
                i = j;
            } else {
                i++;
            }
        }
        if (bestStart < 0) {
            return full;
        }
        String head = String.join(":", java.util.Arrays.copyOfRange(parts, 0, bestStart));
        String tail = String.join(":", java.util.Arrays.copyOfRange(parts, bestStart + bestLen, parts.length));
        return head + "::" + tail;
    }
}
