package org.dumm.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a link does to the packets going one way along it: delay, its jitter, loss, duplication,
 * corruption, reordering, a rate limit ({@code netem} terms). Percentages are 0 to 100.
 * {@link #NONE} is a clean cable. Use {@link #parse} for user input: it checks units and ranges.
 *
 * @param delayMicros     added delay, microseconds
 * @param jitterMicros    random variation of the delay, microseconds (± uniform)
 * @param lossPercent     packets dropped
 * @param duplicatePercent packets sent twice
 * @param corruptPercent  packets with one bit flipped
 * @param reorderPercent  packets sent at once, overtaking delayed ones (needs a delay)
 * @param rateBitsPerSecond rate limit, 0 for none
 */
public record Impairment(long delayMicros, long jitterMicros, double lossPercent, double duplicatePercent,
                         double corruptPercent, double reorderPercent, long rateBitsPerSecond) {

    public static final Impairment NONE = new Impairment(0, 0, 0, 0, 0, 0, 0);

    /** One hour: longer delays are surely a typo. */
    private static final long MAX_DELAY_MICROS = 3_600_000_000L;
    private static final Pattern TIME = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(us|ms|s)");
    private static final Pattern PERCENT = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)%");
    private static final Pattern RATE = Pattern.compile("([0-9]+(?:\\.[0-9]+)?)(bit|kbit|mbit|gbit|bps|kbps|mbps|gbps)");

    public Impairment {
        check(delayMicros >= 0 && delayMicros <= MAX_DELAY_MICROS, "delay must be between 0 and 1 hour");
        check(jitterMicros >= 0 && jitterMicros <= MAX_DELAY_MICROS, "jitter must be between 0 and 1 hour");
        for (double p : new double[] {lossPercent, duplicatePercent, corruptPercent, reorderPercent}) {
            check(p >= 0 && p <= 100 && !Double.isNaN(p), "percentages must be between 0 and 100 %");
        }
        check(rateBitsPerSecond >= 0, "rate must not be negative");
        check(reorderPercent == 0 || delayMicros > 0, "reordering needs a delay (packets overtake delayed ones)");
        check(jitterMicros == 0 || delayMicros > 0, "jitter needs a delay");
    }

    /** True for a clean cable. */
    public boolean isNone() {
        return equals(NONE);
    }

    /**
     * Reads user input; null or empty arguments mean "none". Times: {@code 10ms}, {@code 500us},
     * {@code 1.5s}; percentages: {@code 1%}, {@code 0.1%}; rates: {@code 1mbit}, {@code 512kbit},
     * {@code 100mbps} (bytes: {@code bps}, {@code kbps}, … as tc reads them), powers of 1000.
     *
     * @throws DummException INVALID_ARGUMENT naming the option and what it accepts
     */
    public static Impairment parse(String delay, String jitter, String loss, String duplicate, String corrupt,
                                   String reorder, String rate) {
        try {
            return new Impairment(time("delay", delay), time("jitter", jitter), percent("loss", loss),
                    percent("duplicate", duplicate), percent("corrupt", corrupt), percent("reorder", reorder),
                    rate(rate));
        } catch (IllegalArgumentException e) {
            throw new DummException(DummException.Reason.INVALID_ARGUMENT, e.getMessage());
        }
    }

    /** As tc prints it: {@code delay 10ms jitter 2ms loss 1% rate 1mbit}, or {@code none}. */
    public String describe() {
        if (isNone()) {
            return "none";
        }
        List<String> parts = new ArrayList<>();
        if (delayMicros > 0) {
            parts.add("delay " + formatTime(delayMicros));
        }
        if (jitterMicros > 0) {
            parts.add("jitter " + formatTime(jitterMicros));
        }
        addPercent(parts, "loss", lossPercent);
        addPercent(parts, "duplicate", duplicatePercent);
        addPercent(parts, "corrupt", corruptPercent);
        addPercent(parts, "reorder", reorderPercent);
        if (rateBitsPerSecond > 0) {
            parts.add("rate " + formatRate(rateBitsPerSecond));
        }
        return String.join(" ", parts);
    }

    private static void addPercent(List<String> parts, String name, double p) {
        if (p > 0) {
            parts.add(name + " " + strip(p) + "%");
        }
    }

    private static String formatTime(long us) {
        if (us % 1_000_000 == 0) {
            return us / 1_000_000 + "s";
        }
        if (us % 1000 == 0) {
            return us / 1000 + "ms";
        }
        return us + "us";
    }

    private static String formatRate(long bits) {
        String[] units = {"gbit", "mbit", "kbit"};
        long[] factors = {1_000_000_000L, 1_000_000L, 1000L};
        for (int i = 0; i < units.length; i++) {
            if (bits % factors[i] == 0) {
                return bits / factors[i] + units[i];
            }
        }
        return bits + "bit";
    }

    private static String strip(double d) {
        return d == Math.rint(d) ? Long.toString((long) d) : Double.toString(d);
    }

    private static long time(String name, String s) {
        if (s == null || s.isBlank()) {
            return 0;
        }
        Matcher m = TIME.matcher(s.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException(name + " '" + s + "': expected a time with a unit, e.g. 10ms, 500us, 1.5s");
        }
        double v = Double.parseDouble(m.group(1));
        double us = switch (m.group(2)) {
            case "us" -> v;
            case "ms" -> v * 1000;
            default -> v * 1_000_000;
        };
        if (us > MAX_DELAY_MICROS) {
            throw new IllegalArgumentException(name + " '" + s + "' is over one hour");
        }
        return Math.round(us);
    }

    private static double percent(String name, String s) {
        if (s == null || s.isBlank()) {
            return 0;
        }
        Matcher m = PERCENT.matcher(s.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException(name + " '" + s + "': expected a percentage from 0% to 100%, e.g. 1% or 0.1%");
        }
        double v = Double.parseDouble(m.group(1));
        if (v > 100) {
            throw new IllegalArgumentException(name + " '" + s + "' is over 100%");
        }
        return v;
    }

    private static long rate(String s) {
        if (s == null || s.isBlank()) {
            return 0;
        }
        Matcher m = RATE.matcher(s.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("rate '" + s + "': expected a rate with a unit, e.g. 1mbit, 512kbit, "
                    + "10mbps (bytes per second)");
        }
        double v = Double.parseDouble(m.group(1));
        double bits = switch (m.group(2)) {
            case "bit" -> v;
            case "kbit" -> v * 1e3;
            case "mbit" -> v * 1e6;
            case "gbit" -> v * 1e9;
            case "bps" -> v * 8;
            case "kbps" -> v * 8e3;
            case "mbps" -> v * 8e6;
            default -> v * 8e9;
        };
        if (bits < 8) {
            throw new IllegalArgumentException("rate '" + s + "' is below 8 bit/s (one byte a second)");
        }
        if (bits > 1e12) {
            throw new IllegalArgumentException("rate '" + s + "' is over 1000 gbit");
        }
        return Math.round(bits);
    }

    private static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
