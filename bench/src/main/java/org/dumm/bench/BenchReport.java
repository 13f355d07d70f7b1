package org.dumm.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;

/**
 * What a run found: the summary table's rows, notes, problems, and report.json's sections with
 * every sample; written as {@code report.md} and {@code report.json} at the end. Also the
 * formatting the table's cells share.
 */
final class BenchReport {

    /** One line of the summary table. */
    record Row(String item, String what, String dumm, String bare, String ratio, String target, String met) {
    }

    private final BenchOptions opt;
    private final Map<String, Object> json = new LinkedHashMap<>();
    private final List<Row> rows = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final long startNanos = System.nanoTime();

    BenchReport(BenchOptions opt) {
        this.opt = opt;
    }

    void add(Row row) {
        rows.add(row);
    }

    void note(String note) {
        notes.add(note);
    }

    /** Something that went wrong or had to be cleaned up; listed under "Problems"; safe from any thread. */
    void problem(String problem) {
        problems.add(problem);
    }

    /** Problems of the run, to which the clean-up also adds what it had to remove; safe from any thread. */
    List<String> problems() {
        return problems;
    }

    /** A top-level entry of report.json. */
    void put(String key, Object value) {
        json.put(key, value);
    }

    /** A section of report.json, made empty at its first use. */
    @SuppressWarnings("unchecked")
    Map<String, Object> section(String name) {
        return (Map<String, Object>) json.computeIfAbsent(name, k -> new LinkedHashMap<String, Object>());
    }

    /** Seconds since the run began: the log's time stamps and the report's duration. */
    double secondsSinceStart() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    void write() throws IOException {
        Files.createDirectories(opt.out);
        json.put("table", rows);
        json.put("notes", notes);
        json.put("problems", problems);
        json.put("duration_s", Stats.round(secondsSinceStart()));
        ObjectMapper om = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        om.writeValue(opt.out.resolve("report.json").toFile(), json);

        StringBuilder md = new StringBuilder();
        md.append("# Dumm benchmark — ").append(opt.quick ? "quick" : "full").append(" run\n\n");
        md.append("`./dumm bench ").append(String.join(" ", opt.commandLine())).append("` — ")
                .append(json.get("started")).append(", ").append(String.format("%.0f s", secondsSinceStart()))
                .append(". Host: ").append(hostInfo().get("summary")).append(". JVM options: `")
                .append(String.join(" ", BenchOptions.JVM_OPTIONS))
                .append("` (Karaf's JIT setting is `-XX:TieredStopAtLevel=1`, which `./dumm bench` passes).\n\n");
        md.append("Dumm and the bare baseline (same kernel `/usr/bin/linux.uml`, same busybox master, mem=" + BenchOptions.MEMORY_MB + "M (the TCP item: " + opt.iperfMemoryMb + "M, `--iperf-memory`), ASLR off) "
                + "run interleaved in one process (alternating order per repetition, ABBA for the N-guest rounds), so load "
                + "from other work on the machine hits both alike; ratios are the meaningful numbers. Interleaved exec and "
                + "connect samples are taken " + opt.settleMs + " ms apart (`--settle-ms`), so that neither side's "
                + "aftermath lands in the other's sample; the back-to-back row shows a burst.\n\n");
        md.append("| # | what | Dumm | bare | Dumm/bare | target | met |\n|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            md.append("| ").append(r.item()).append(" | ").append(r.what()).append(" | ").append(r.dumm()).append(" | ")
                    .append(r.bare()).append(" | ").append(r.ratio()).append(" | ").append(r.target()).append(" | ")
                    .append(r.met()).append(" |\n");
        }
        md.append("\nReady signals: Dumm — `Mesh.startGuest` returned (its agent answered, interfaces configured, startup "
                + "script run) and an exec of `true` answered; bare — `setsid setarch -R linux.uml … init=<script running the "
                + "master's rcS, then an interactive sh on tty1> con1=pts`, pty learnt via mconsole `config con1`, ready when "
                + "the shell echoes a marker.\n");
        if (!notes.isEmpty()) {
            md.append("\n## Notes\n\n");
            notes.forEach(n -> md.append("- ").append(n).append('\n'));
        }
        if (!problems.isEmpty()) {
            md.append("\n## Problems\n\n");
            problems.forEach(p -> md.append("- ").append(p).append('\n'));
        }
        md.append("\nDetails (all samples, breakdowns, load per item): `report.json`.\n");
        Files.writeString(opt.out.resolve("report.md"), md.toString());
        System.out.println();
        System.out.print(md);
        System.out.println("\nreport: " + opt.out.toAbsolutePath().resolve("report.md") + " and report.json");
    }

    /** The host the run measured on: report.json's {@code host} section and report.md's header. */
    static Map<String, Object> hostInfo() {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("cores", Runtime.getRuntime().availableProcessors());
        h.put("kernel", System.getProperty("os.version"));
        h.put("java", System.getProperty("java.version"));
        String uml = Host.run(Duration.ofSeconds(5), "dpkg-query", "-W", "-f=${Version}", "user-mode-linux").out().trim();
        h.put("user_mode_linux", uml);
        h.put("summary", h.get("cores") + " cores, host kernel " + h.get("kernel") + ", user-mode-linux " + uml
                + ", Java " + h.get("java"));
        return h;
    }

    // ---- the table's cells -------------------------------------------------------------------------

    static double mean(List<Double> v) {
        return v.stream().filter(d -> d != null).mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
    }

    static String list(List<Double> v) {
        return String.join(", ", v.stream().map(d -> String.format("%.2f", d)).toList());
    }

    static String sec(double ms) {
        return String.format("%.2f s", ms / 1000);
    }

    static String ms(double ms) {
        return String.format("%.2f ms", ms);
    }

    static String x(double ratio) {
        return String.format("%.2f×", ratio);
    }

    static String met(boolean ok) {
        return ok ? "**met**" : "**missed**";
    }

    static String oneLine(String s) {
        if (s == null) {
            return "";
        }
        String t = s.replaceAll("\\s+", " ").trim();
        return t.length() > 300 ? t.substring(0, 300) + "…" : t;
    }
}
