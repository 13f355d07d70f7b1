package org.dumm.bench;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.dumm.api.Capture;
import org.dumm.api.CaptureRequest;
import org.dumm.api.ExecResult;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Impairment;
import org.dumm.api.LinkDirection;
import org.dumm.api.Transport;
import org.dumm.bench.BenchReport.Row;
import org.dumm.capture.internal.CaptureManager;
import org.dumm.core.internal.MeshManager;

import static org.dumm.bench.BenchContext.EXEC_TIMEOUT;
import static org.dumm.bench.BenchContext.check;
import static org.dumm.bench.BenchReport.met;
import static org.dumm.bench.BenchReport.ms;
import static org.dumm.bench.BenchReport.x;

/**
 * Item 11: a capture of a UDP flood between two guests over a vector link, by Dumm's capture
 * and by {@code tcpdump -w} on the same TAP at the same time (each socket gets its own copy of
 * every frame), so both see the same traffic; the frames each kept are compared. Then the
 * latency of {@code link-set} (a netem delay on and off, through rtnetlink and the agent).
 */
final class CaptureItem implements BenchItem {

    private static final Pattern CAPTURED = Pattern.compile("([0-9]+) packets captured");
    private static final Pattern DROPPED = Pattern.compile("([0-9]+) packets dropped by kernel");

    @Override
    public String id() {
        return "11";
    }

    @Override
    public Optional<Row> skipped(BenchOptions opt) {
        return opt.iperf ? Optional.empty()
                : Optional.of(new Row("11", "capture of a UDP flood vs tcpdump -w", "skipped (--quick; use --iperf)", "", "",
                "≥ 1.0×", "not measured"));
    }

    @Override
    public void run(BenchContext ctx) throws Exception {
        BenchOptions opt = ctx.opt();
        BenchReport report = ctx.report();
        MeshManager mesh = ctx.mesh();
        ThroughputItem.addIperf(ctx.ensureMaster("dmbiperf"));
        mesh.createBridge("dmbbrc");
        for (int i = 1; i <= 2; i++) {
            String g = "dmbc" + i;
            mesh.createGuest(new GuestDefinition(g, null, null, "dmbiperf", opt.iperfMemoryMb, List.of()));
            mesh.addInterface(g, "eth0", "dmbbrc", null, Transport.VECTOR);
            mesh.addAddress(g, "eth0", "10.212.1." + i + "/24");
        }
        Map<String, String> failures = mesh.startGuests(List.of("dmbc1", "dmbc2"), line -> { });
        check(failures.isEmpty(), "capture guests did not start: " + failures);
        check(mesh.exec("dmbc2", "iperf3 -s -D", EXEC_TIMEOUT).succeeded(), "iperf3 server did not start");
        String tap = mesh.guest("dmbc1").orElseThrow().interfaces().get(0).tap();
        CaptureManager captures = new CaptureManager(mesh);
        try {
            for (String proto : List.of("udp", "tcp")) {
                flood(ctx, captures, tap, proto);
            }
        } finally {
            captures.deactivate();
        }

        // link-set latency: a delay on and off again, each call timed
        Stats set = new Stats();
        int n = opt.quick ? 10 : 30;
        Impairment delay = Impairment.parse("5ms", null, null, null, null, null, null);
        for (int i = 0; i < n; i++) {
            Host.sleep(opt.settleMs);
            long t0 = System.nanoTime();
            mesh.setImpairment("dmbc1", "eth0", LinkDirection.BOTH, i % 2 == 0 ? delay : Impairment.NONE);
            set.addNanos(System.nanoTime() - t0);
        }
        mesh.setImpairment("dmbc1", "eth0", LinkDirection.BOTH, Impairment.NONE);
        report.section("11_link_set").putAll(set.toMap());
        report.add(new Row("11", "link-set (delay on / off, both directions), p50 / p99 of " + n, ms(set.median()) + " / "
                + ms(set.percentile(99)), "", "", "(reported)", ""));
        mesh.deleteGuest("dmbc1", true);
        mesh.deleteGuest("dmbc2", true);
        mesh.deleteBridge("dmbbrc");
    }

    /** One flood (a UDP one at a fixed rate, or a TCP stream) captured by both at once. */
    private static void flood(BenchContext ctx, CaptureManager captures, String tap, String proto) throws Exception {
        MeshManager mesh = ctx.mesh();
        BenchReport report = ctx.report();
        Path tmp = ctx.tmp();
        int seconds = ctx.opt().iperfSeconds;
        Path ours = tmp.resolve("dumm-" + proto + ".pcap");
        Path theirs = tmp.resolve("tcpdump-" + proto + ".pcap");
        Path tlog = tmp.resolve("tcpdump-" + proto + ".log");
        Process tcpdump = new ProcessBuilder("tcpdump", "-i", tap, "-n", "-w", theirs.toString(), proto)
                .redirectErrorStream(true).redirectOutput(tlog.toFile()).start();
        ctx.onCleanup(() -> tcpdump.destroyForcibly());
        Capture c = captures.start(CaptureRequest.iface("dmbc1", "eth0", ours.toString()).withFilter(proto));
        Host.sleep(1500); // tcpdump has its socket by then
        long t0 = System.nanoTime();
        String client = proto.equals("udp") ? "iperf3 -u -b 2G -l 1400" : "iperf3";
        ExecResult flood = mesh.exec("dmbc1", client + " -t " + seconds + " -c 10.212.1.2 -J", Duration.ofSeconds(seconds + 30));
        double secs = (System.nanoTime() - t0) / 1e9;
        check(flood.succeeded(), "iperf3 " + proto + ": " + flood.stderrText() + BenchReport.oneLine(flood.stdoutText()));
        Host.sleep(500);
        Capture done = captures.stop(c.id());
        org.dumm.nativ.Native.libc().kill((int) tcpdump.pid(), 2); // SIGINT: it prints its counts and flushes
        tcpdump.waitFor();
        String log = java.nio.file.Files.readString(tlog, StandardCharsets.UTF_8);
        long theirCount = number(CAPTURED, log);
        long theirDrops = number(DROPPED, log);
        long ourCount = done.packets();
        double ratio = theirCount == 0 ? Double.NaN : (double) ourCount / theirCount;
        double pps = ourCount / secs;
        double gbit = done.bytes() * 8 / secs / 1e9;
        Map<String, Object> m = report.section("11_capture_" + proto);
        m.put("seconds", seconds);
        m.put("dumm_frames", ourCount);
        m.put("dumm_bytes", done.bytes());
        m.put("dumm_dropped_by_kernel", done.dropped());
        m.put("tcpdump_frames", theirCount);
        m.put("tcpdump_dropped_by_kernel", theirDrops);
        m.put("tcpdump_log", BenchReport.oneLine(log));
        ctx.log(String.format("capture %s: dumm %d frames (%.0f pps, %.2f Gbit/s, %d dropped), tcpdump %d (%d dropped by kernel)",
                proto, ourCount, pps, gbit, done.dropped(), theirCount, theirDrops));
        report.add(new Row("11", "capture of an iperf3 " + proto.toUpperCase() + " stream on a vector link's TAP (" + seconds
                + " s), frames kept", ourCount + String.format(" (%.0f pps, %.2f Gbit/s, %d dropped)", pps, gbit, done.dropped()),
                theirCount + " (tcpdump -w, same TAP, same time; " + theirDrops + " dropped)", x(ratio), "≥ 1.0×", met(ratio >= 1.0)));
    }

    private static long number(Pattern p, String text) {
        Matcher m = p.matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }
}
