package org.dumm.test.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dumm.api.Guest;
import org.dumm.api.Iface;

/**
 * The placeholders {@code PH_IP_<HOST>}, {@code PH_IP_<HOST>1}, {@code PH_IP6_<HOST>} and
 * {@code PH_IP6_<HOST>1}: the first and second IPv4 / IPv6 address of the guest for that host
 * (interfaces in order, addresses in order, without the prefix length), HOST in capitals. A
 * placeholder for a host the mesh has no guest for, or for an address the guest does not have,
 * is an error: a scenario would otherwise run against a literal "PH_IP_…". A
 * {@code placeholders.conf} ({@code PH_IP_MOON=192.168.0.1} lines) in the scenario's directory or
 * any directory above it sets placeholders by hand, for addresses the mesh does not know (set in
 * the guest by a startup script) or to override them; the nearest file wins.
 */
final class Placeholders {

    private static final Pattern PH = Pattern.compile("PH_IP(6?)_([A-Z][A-Z0-9]*)");

    /** host (capitals) to its IPv4 and IPv6 addresses. */
    private final Map<String, List<String>> v4 = new HashMap<>();
    private final Map<String, List<String>> v6 = new HashMap<>();
    private final Map<String, String> overrides = new HashMap<>();

    static final String FILE = "placeholders.conf";
    private static final Pattern LINE = Pattern.compile("(PH_IP6?_[A-Z][A-Z0-9]*)\\s*=\\s*\"?([0-9A-Fa-f.:]+)\"?");

    /** These placeholders with the {@code placeholders.conf} files of {@code dir} and its parents applied. */
    Placeholders withFiles(Path dir) {
        List<Path> files = new ArrayList<>();
        for (Path d = dir.toAbsolutePath().normalize(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve(FILE))) {
                files.add(0, d.resolve(FILE)); // the farthest first: nearer ones override
            }
        }
        for (Path f : files) {
            List<String> lines;
            try {
                lines = Files.readAllLines(f, StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new ScenarioFormatException(f, 0, "cannot read: " + e.getMessage());
            }
            for (int i = 0; i < lines.size(); i++) {
                String l = lines.get(i).trim();
                if (l.isEmpty() || l.startsWith("#")) {
                    continue;
                }
                Matcher m = LINE.matcher(l);
                if (!m.matches() || IpText.canonical(m.group(2)) == null) {
                    throw new ScenarioFormatException(f, i + 1, "expected PH_IP_HOST=ADDRESS or PH_IP6_HOST=ADDRESS, not '" + l + "'");
                }
                overrides.put(m.group(1), m.group(2));
            }
        }
        return this;
    }

    /** From the mesh's guests: host = guest name without {@code guestPrefix}. */
    static Placeholders of(List<Guest> guests, String guestPrefix) {
        Placeholders p = new Placeholders();
        for (Guest g : guests) {
            if (!g.name().startsWith(guestPrefix) || g.name().length() == guestPrefix.length()) {
                continue;
            }
            String host = g.name().substring(guestPrefix.length()).toUpperCase(Locale.ROOT);
            List<String> a4 = new ArrayList<>();
            List<String> a6 = new ArrayList<>();
            for (Iface i : g.interfaces()) {
                for (String cidr : i.addresses()) {
                    String addr = cidr.contains("/") ? cidr.substring(0, cidr.indexOf('/')) : cidr;
                    (addr.contains(":") ? a6 : a4).add(addr);
                }
            }
            p.v4.put(host, a4);
            p.v6.put(host, a6);
        }
        return p;
    }

    /** {@code text} with every placeholder replaced; IllegalArgumentException naming the first unresolvable one. */
    String apply(String text) {
        if (!text.contains("PH_IP")) {
            return text;
        }
        Matcher m = PH.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(out, Matcher.quoteReplacement(resolve(m.group(), !m.group(1).isEmpty(), m.group(2))));
        }
        m.appendTail(out);
        return out.toString();
    }

    private String resolve(String ph, boolean six, String host) {
        if (overrides.containsKey(ph)) {
            return overrides.get(ph);
        }
        Map<String, List<String>> table = six ? v6 : v4;
        int index = 0;
        if (!table.containsKey(host) && host.endsWith("1") && table.containsKey(host.substring(0, host.length() - 1))) {
            host = host.substring(0, host.length() - 1);
            index = 1;
        }
        List<String> addrs = table.get(host);
        if (addrs == null) {
            throw new IllegalArgumentException(ph + ": no guest for host " + host.toLowerCase(Locale.ROOT));
        }
        if (addrs.size() <= index) {
            throw new IllegalArgumentException(ph + ": guest of " + host.toLowerCase(Locale.ROOT) + " has no "
                    + (index == 0 ? "" : "second ") + (six ? "IPv6" : "IPv4") + " address");
        }
        return addrs.get(index);
    }
}
