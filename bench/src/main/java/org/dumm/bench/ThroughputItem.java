package org.dumm.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.dumm.api.ExecResult;
import org.dumm.api.GuestDefinition;
import org.dumm.api.Transport;
import org.dumm.bench.BenchReport.Row;
import org.dumm.core.internal.MeshManager;

import static org.dumm.bench.BenchContext.EXEC_TIMEOUT;
import static org.dumm.bench.BenchContext.check;
import static org.dumm.bench.BenchReport.mean;
import static org.dumm.bench.BenchReport.met;
import static org.dumm.bench.BenchReport.oneLine;

/**
 * Item 6: guest-to-guest TCP throughput with iperf3, over a tuntap and over a vector interface
 * (two Dumm guests on two bridges), then the same on two bare guests; off by default in a quick
 * run.
 */
final class ThroughputItem implements BenchItem {

    @Override
    public String id() {
        return "6";
    }

    @Override
    public Optional<Row> skipped(BenchOptions opt) {
        return opt.iperf ? Optional.empty()
                : Optional.of(new Row("6", "guest↔guest TCP, tuntap vs vector", "skipped (--quick; use --iperf)", "", "", "vector ≥ 4.5 Gbit/s", "not measured"));
    }

    @Override
    public void run(BenchContext ctx) {
        BenchOptions opt = ctx.opt();
        BenchReport report = ctx.report();
        MeshManager mesh = ctx.mesh();
        Path master = ctx.ensureMaster("dmbiperf");
        addIperf(master);
        mesh.createBridge("dmbbrt");
        mesh.createBridge("dmbbrv");
        for (int i = 1; i <= 2; i++) {
            String g = "dmbi" + i;
            mesh.createGuest(new GuestDefinition(g, null, null, "dmbiperf", opt.iperfMemoryMb, List.of()));
            mesh.addInterface(g, "eth0", "dmbbrt", null, Transport.TUNTAP);
            mesh.addAddress(g, "eth0", "10.211.1." + i + "/24");
            mesh.addInterface(g, "eth1", "dmbbrv", null, Transport.VECTOR);
            mesh.addAddress(g, "eth1", "10.211.2." + i + "/24");
        }
        Map<String, String> failures = mesh.startGuests(List.of("dmbi1", "dmbi2"), line -> { });
        check(failures.isEmpty(), "iperf guests did not start: " + failures);
        ExecResult srv = mesh.exec("dmbi2", "iperf3 -s -D", EXEC_TIMEOUT);
        check(srv.succeeded(), "iperf3 server: " + srv.stderrText() + srv.stdoutText());
        for (String peer : List.of("10.211.1.2", "10.211.2.2")) {
            ExecResult p = mesh.exec("dmbi1", "ping -c 2 -W 2 " + peer, EXEC_TIMEOUT);
            check(p.succeeded(), "ping " + peer + ": " + p.stdoutText());
        }
        Map<String, List<Double>> gbits = new LinkedHashMap<>();
        gbits.put("tuntap", new ArrayList<>());
        gbits.put("vector", new ArrayList<>());
        ObjectMapper om = new ObjectMapper();
        List<Map<String, Object>> senders = new ArrayList<>();
        for (int r = 0; r < 2; r++) {
            for (String kind : r % 2 == 0 ? List.of("tuntap", "vector") : List.of("vector", "tuntap")) {
                String peer = kind.equals("tuntap") ? "10.211.1.2" : "10.211.2.2";
                ExecResult c = mesh.exec("dmbi1", "iperf3 -c " + peer + " -t " + opt.iperfSeconds + " -J",
                        Duration.ofSeconds(opt.iperfSeconds + 30L));
                check(c.succeeded(), "iperf3 client (" + kind + "): " + c.stderrText() + oneLine(c.stdoutText()));
                try {
                    JsonNode end = om.readTree(c.stdout()).path("end");
                    double bps = end.path("sum_received").path("bits_per_second").asDouble();
                    gbits.get(kind).add(bps / 1e9);
                    JsonNode sender = end.path("streams").path(0).path("sender");
                    senders.add(Map.of("kind", kind, "retransmits", sender.path("retransmits").asInt(),
                            "mean_rtt_us", sender.path("mean_rtt").asInt(), "max_snd_cwnd", sender.path("max_snd_cwnd").asLong()));
                    ctx.log(String.format("iperf3 %s: %.2f Gbit/s (%d retransmits, mean RTT %d us)", kind, bps / 1e9,
                            sender.path("retransmits").asInt(), sender.path("mean_rtt").asInt()));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        double tun = mean(gbits.get("tuntap"));
        double vec = mean(gbits.get("vector"));
        Map<String, List<Double>> bareGbits = new LinkedHashMap<>();
        try {
            bareGbits = bareThroughput(ctx, master);
        } catch (RuntimeException e) {
            report.problem("bare iperf3 baseline failed: " + e.getMessage());
        }
        double btun = mean(bareGbits.getOrDefault("tuntap", List.of()));
        double bvec = mean(bareGbits.getOrDefault("vector", List.of()));
        Map<String, Object> m = report.section("6_throughput");
        m.put("gbit_per_s", gbits);
        m.put("bare_gbit_per_s", bareGbits);
        m.put("dumm_sender", senders);
        m.put("guest_memory_mb", opt.iperfMemoryMb);
        m.put("tool", "iperf3 " + opt.iperfSeconds + " s, one TCP stream, guest to guest over a Dumm bridge; "
                + "master = busybox + the host's iperf3 and its libraries");
        report.add(new Row("6", "guest↔guest TCP (iperf3 " + opt.iperfSeconds + " s, mean of 2, " + opt.iperfMemoryMb
                + " MB guests): tuntap / vector",
                String.format("%.2f / %.2f Gbit/s", tun, vec), String.format("%.2f / %.2f Gbit/s", btun, bvec),
                String.format("%.2f× / %.2f×", tun / btun, vec / bvec), "vector ≥ 4.5 Gbit/s", met(vec >= 4.5)));
    }

    /**
     * The same measurement without Dumm: two bare guests on the iperf master, eth0 tuntap and
     * vec1 vector ({@code transport=tap,gro=1}) on two bridges of their own, iperf3 driven
     * through the guests' console shells. Runs after Dumm's iperf guests are gone.
     */
    private Map<String, List<Double>> bareThroughput(BenchContext ctx, Path master) {
        BenchOptions opt = ctx.opt();
        BenchReport report = ctx.report();
        MeshManager mesh = ctx.mesh();
        Path tmp = ctx.tmp();
        for (String g : List.of("dmbi1", "dmbi2")) {
            mesh.deleteGuest(g, true);
        }
        BareUml tun = new BareUml(tmp.resolve("bare-tun"), master, opt.iperfMemoryMb, "dmbbrbt");
        BareUml vecBr = new BareUml(tmp.resolve("bare-vec"), master, opt.iperfMemoryMb, "dmbbrbv");
        List<BareUml.Guest> gs = new ArrayList<>();
        try {
            tun.createBridge();
            vecBr.createBridge();
            for (int i = 1; i <= 2; i++) {
                String t = "dmbbi" + i + "-e0";
                String v = "dmbbi" + i + "-v1";
                tun.addTap(t);
                vecBr.addTap(v);
                BareUml.Guest g = tun.launch("dmbbi" + i, List.of(t, v),
                        List.of("eth0=tuntap," + t, "vec1:transport=tap,ifname=" + v + ",gro=1"));
                gs.add(g);
            }
            for (BareUml.Guest g : gs) {
                check(tun.awaitReady(g, System.nanoTime() + Duration.ofSeconds(60).toNanos()), "bare iperf guest " + g.name + " did not answer");
            }
            for (int i = 1; i <= 2; i++) {
                String out = gs.get(i - 1).shell.run("ip link set eth0 up && ip addr add 10.212.1." + i + "/24 dev eth0 && "
                        + "ip link set vec1 up && ip addr add 10.212.2." + i + "/24 dev vec1 && echo CONF_OK", 20_000);
                check(out != null && out.contains("CONF_OK\r"), "configuring bare guest: " + out);
            }
            gs.get(1).shell.run("iperf3 -s -D", 10_000);
            gs.get(0).shell.run("ping -c 2 -W 2 10.212.1.2; ping -c 2 -W 2 10.212.2.2", 20_000);
            Map<String, List<Double>> gbits = new LinkedHashMap<>();
            gbits.put("tuntap", new ArrayList<>());
            gbits.put("vector", new ArrayList<>());
            Pattern receiver = Pattern.compile("([\\d.]+) ([GMK])bits/sec\\s+receiver");
            for (int r = 0; r < 2; r++) {
                for (String kind : r % 2 == 0 ? List.of("tuntap", "vector") : List.of("vector", "tuntap")) {
                    String peer = kind.equals("tuntap") ? "10.212.1.2" : "10.212.2.2";
                    String out = gs.get(0).shell.run("iperf3 -c " + peer + " -t " + opt.iperfSeconds, (opt.iperfSeconds + 30L) * 1000);
                    Matcher mm = out == null ? null : receiver.matcher(out);
                    check(mm != null && mm.find(), "bare iperf3 (" + kind + "): " + oneLine(out));
                    double v = Double.parseDouble(mm.group(1)) * switch (mm.group(2)) {
                        case "G" -> 1.0;
                        case "M" -> 1e-3;
                        default -> 1e-6;
                    };
                    gbits.get(kind).add(v);
                    ctx.log(String.format("bare iperf3 %s: %.2f Gbit/s", kind, v));
                }
            }
            tun.teardown(gs);
            gs.clear();
            return gbits;
        } finally {
            tun.cleanup(report.problems(), true);
            vecBr.cleanup(report.problems(), true);
        }
    }

    /** Copies the host's iperf3 and the shared libraries it loads into a master. */
    static void addIperf(Path master) {
        Host.Result ldd = Host.runChecked(Duration.ofSeconds(10), "ldd", "/usr/bin/iperf3");
        List<Path> files = new ArrayList<>(List.of(Path.of("/usr/bin/iperf3")));
        Matcher m = Pattern.compile("(/\\S+)\\s+\\(0x").matcher(ldd.out());
        while (m.find()) {
            files.add(Path.of(m.group(1)));
        }
        try {
            for (Path f : files) {
                Path target = master.resolve(f.toString().substring(1));
                Files.createDirectories(target.getParent());
                Files.copy(f, target, StandardCopyOption.REPLACE_EXISTING); // follows symlinks: real contents
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
