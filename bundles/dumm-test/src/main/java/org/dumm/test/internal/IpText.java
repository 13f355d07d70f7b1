package org.dumm.test.internal;

import java.net.InetAddress;
import java.net.UnknownHostException;

/** IP addresses as text in one canonical form, so that what a check says and what {@code ip} prints compare. */
final class IpText {

    private IpText() {
    }

    /** The canonical text of an IPv4 or IPv6 literal (lower case, IPv6 zeros compressed), null when it is none. */
    static String canonical(String text) {
        // checked before InetAddress sees it: only literals, never a name it would look up
        if (!ChecksParser.looksLikeIpv4(text) && !ChecksParser.looksLikeIpv6(text)) {
            return null;
        }
        try {
            InetAddress a = InetAddress.getByName(text);
            String s = a.getHostAddress();
            return s.contains(":") ? compress(s) : s;
        } catch (UnknownHostException e) {
            return null;
        }
    }

    /** {@code CIDR} with its address canonical; null when it is not ADDRESS[/LEN]. */
    static String canonicalCidr(String cidr) {
        int slash = cidr.indexOf('/');
        String a = canonical(slash < 0 ? cidr : cidr.substring(0, slash));
        if (a == null) {
            return null;
        }
        return a + "/" + (slash < 0 ? (a.contains(":") ? "128" : "32") : cidr.substring(slash + 1));
    }

    /** Java prints 2001:db8:0:0:0:0:0:1; ip and users write 2001:db8::1 (the longest zero run, RFC 5952). */
    private static String compress(String full) {
        String[] g = full.split(":");
        for (int i = 0; i < g.length; i++) {
            g[i] = g[i].replaceFirst("^0+(?=.)", "");
        }
        int best = -1;
        int bestLen = 1;
        for (int i = 0; i < g.length; ) {
            int j = i;
            while (j < g.length && g[j].equals("0")) {
                j++;
            }
            if (j - i > bestLen) {
                best = i;
                bestLen = j - i;
            }
            i = j == i ? i + 1 : j;
        }
        if (best < 0) {
            return String.join(":", g);
        }
        String head = String.join(":", java.util.Arrays.copyOfRange(g, 0, best));
        String tail = String.join(":", java.util.Arrays.copyOfRange(g, best + bestLen, g.length));
        return head + "::" + tail;
    }
}
